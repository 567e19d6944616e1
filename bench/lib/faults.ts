// The soak benchmark's fault schedule: drawn from a seeded generator, so a seed replays the same
// faults at the same offsets; bounded in count (the config) and in time (inside the run, none in
// the quiet tail, recorder kills only in the first part so that the rest is one uninterrupted run).

export interface FaultPlan {
  /** seconds from "every camera connected" to the drain */
  durationSec: number;
  cameras: number;
  recorderKills: number;
  /** recorder kills fall in the first `killShare` of the run: the rest is the stretch whose memory is measured */
  killShare: number;
  cameraKills: number;
  cameraDownSec: readonly [number, number];
  storePauses: number;
  storePauseSec: readonly [number, number];
  /** no fault starts or ends in the last seconds of the run */
  quietTailSec: number;
}

/** SIGKILL of the recorder: `tree` also kills its ffmpeg children (a container's OOM kill), `node` only the Node.js process (its ffmpeg keep recording, orphaned). */
export interface RecorderKill {
  kind: 'recorder-kill';
  atSec: number;
  how: 'tree' | 'node';
  restartAfterSec: number;
}
/** SIGKILL of one camera's RTSP server, started again on the same port after `downSec`. */
export interface CameraKill {
  kind: 'camera-kill';
  atSec: number;
  camera: number;
  downSec: number;
}
/** The store away: `refuse` stops the gateway (connections refused), `hang` SIGSTOPs it (connections accepted, no answer). */
export interface StorePause {
  kind: 'store-pause';
  atSec: number;
  how: 'refuse' | 'hang';
  downSec: number;
}
export type Fault = RecorderKill | CameraKill | StorePause;

/** mulberry32: a small, good-enough 32-bit generator; the same seed gives the same sequence. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const round = (x: number): number => Math.round(x * 10) / 10;

/** `n` equal slots of [from, to): one fault in each keeps them spread out, never bunched. */
function slots(n: number, from: number, to: number): { start: number; len: number }[] {
  const len = (to - from) / n;
  return Array.from({ length: n }, (_, i) => ({ start: from + i * len, len }));
}

export function planFaults(plan: FaultPlan, seed: number): Fault[] {
  const random = rng(seed);
  const uniform = (lo: number, hi: number): number => lo + (hi - lo) * random();
  const faults: Fault[] = [];
  const lastEnd = plan.durationSec - plan.quietTailSec;

  for (const s of slots(plan.recorderKills, 20, plan.durationSec * plan.killShare)) {
    faults.push({
      kind: 'recorder-kill',
      atSec: round(s.start + s.len * uniform(0.2, 0.8)),
      how: random() < 0.5 ? 'tree' : 'node',
      restartAfterSec: round(uniform(0.5, 5)),
    });
  }
  for (const s of slots(plan.storePauses, 15, lastEnd)) {
    const downSec = round(Math.min(uniform(...plan.storePauseSec), s.len * 0.7));
    faults.push({ kind: 'store-pause', atSec: round(s.start + (s.len - downSec) * uniform(0.1, 0.9)), how: random() < 0.5 ? 'refuse' : 'hang', downSec });
  }
  const cameraKills: CameraKill[] = [];
  for (let k = 0; k < plan.cameraKills; k++) {
    for (let attempt = 0; attempt < 200; attempt++) {
      const camera = 1 + Math.floor(random() * plan.cameras);
      const downSec = round(uniform(...plan.cameraDownSec));
      const atSec = round(uniform(5, lastEnd - downSec));
      // one outage at a time per camera, with room between them to record
      const clash = cameraKills.some((c) => c.camera === camera && atSec < c.atSec + c.downSec + 20 && c.atSec < atSec + downSec + 20);
      if (clash) continue;
      cameraKills.push({ kind: 'camera-kill', atSec, camera, downSec });
      break;
    }
  }
  faults.push(...cameraKills);
  return faults.sort((a, b) => a.atSec - b.atSec);
}

export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'recorder-kill':
      return `${f.atSec} s: SIGKILL recorder (${f.how === 'tree' ? 'with its ffmpeg' : 'Node.js only, ffmpeg orphaned'}), restart after ${f.restartAfterSec} s`;
    case 'camera-kill':
      return `${f.atSec} s: camera-${f.camera} down for ${f.downSec} s`;
    case 'store-pause':
      return `${f.atSec} s: store ${f.how === 'refuse' ? 'stopped (refuses connections)' : 'SIGSTOPped (hangs)'} for ${f.downSec} s`;
  }
}

// 5. Soak: 8 cameras recorded for a long run under seeded random faults (camera kills, store pauses,
// SIGKILL + restart of the recorder), then an accounting of every second of footage the cameras
// sent (bench/lib/accounting.ts) and of the recorder's memory over its last uninterrupted run.
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ctx } from './lib/context.ts';
import { describeFault, planFaults, type Fault, type FaultPlan } from './lib/faults.ts';
import { killTree, rssPeak } from './lib/proc.ts';
import { saveLogs, startRecorder, waitConnected, type RecorderRun } from './lib/recorder.ts';
import { restartCameras, startCameras, type Cameras } from './lib/servers.ts';
import { judgeSoak, type SoakRecord, type SoakResult } from './lib/soak-check.ts';
import { pauseStore } from './lib/store-pause.ts';
import { sleep } from './lib/stats.ts';

export interface SoakConfig extends Omit<FaultPlan, 'cameras'> {
  cameras: number;
  segmentSeconds: number;
  /** camera back → first frame stored: the allowance per camera restart */
  reconnectCapSec: number;
}

/** Camera pictures: the soak is about correctness and memory, not encoding cost; 8 x264 1080p servers would take most of the 2 cores. */
const SOAK_CAMERA = { size: '640x360', kbps: 800 };
const RSS_EVERY_MS = 2000;
const METRICS_EVERY_MS = 5000;
/** what /metrics is kept of, per run (the last scrape before the run ended) */
const KEPT_METRICS = /^camera_(recording_gap_seconds_total|segments_dropped_total|segments_quarantined_total|ffmpeg_restarts_total|upload_failures_total)\b/;

export async function runSoak(ctx: Ctx, cfg: SoakConfig, seed: number): Promise<SoakResult> {
  const faults = planFaults({ ...cfg, cameras: cfg.cameras }, seed);
  ctx.log(`soak: seed ${seed} (replay: --seed ${seed}); ${faults.length} faults over ${cfg.durationSec} s:\n  ${faults.map(describeFault).join('\n  ')}`);
  const ids = Array.from({ length: cfg.cameras }, (_, i) => `camera-${i + 1}`);
  // one server per camera, so that one camera can die alone
  const cams: Cameras[] = [];
  for (let i = 1; i <= cfg.cameras; i++) cams.push(await startCameras(1, { first: i, ...SOAK_CAMERA }));
  const tempDir = mkdtempSync(join(tmpdir(), 'camrec-soak-'));
  const bucket = `soak-${process.pid}-${seed}`;
  const rec: SoakRecord = { seed, faults, ids, bucket, tempDir, runs: [], cameraDowns: [], recorderKills: [], storePauses: [], rss: [], errors: [] };

  const launch = async (): Promise<RecorderRun> => {
    const run = await startRecorder({
      store: ctx.store,
      cameras: ids.map((_, i) => (cams[i] as Cameras).url(i + 1)),
      segmentSeconds: cfg.segmentSeconds,
      tempDir,
      env: { S3_BUCKET: bucket },
    });
    rec.runs.push({ run, startedAt: Date.now(), metrics: [] });
    return run;
  };
  let current = await launch();
  let sampling = true;
  const samplers = (async () => {
    let lastMetrics = 0;
    while (sampling) {
      const entry = rec.runs.at(-1);
      const m = entry ? rssPeak(entry.run.pid) : undefined;
      if (entry && m && Number.isFinite(m.rss)) rec.rss.push({ t: Date.now(), run: rec.runs.length - 1, rss: m.rss });
      if (entry && Date.now() - lastMetrics >= METRICS_EVERY_MS) {
        lastMetrics = Date.now();
        // a run's counters die with it: keep its last scrape
        void entry.run.proc.get('/metrics').then(
          ({ body }) => {
            entry.metrics = body.split('\n').filter((l) => KEPT_METRICS.test(l));
          },
          () => undefined,
        );
      }
      await sleep(RSS_EVERY_MS);
    }
  })();

  try {
    await waitConnected(current, cfg.cameras, 180_000);
    const t0 = Date.now();
    rec.t0 = t0;
    ctx.log(`soak: ${cfg.cameras} cameras connected; faults start`);
    const at = (sec: number): Promise<void> => sleep(Math.max(0, t0 + sec * 1000 - Date.now()));
    const act = async (f: Fault): Promise<void> => {
      await at(f.atSec);
      ctx.log(`soak: ${describeFault(f)}`);
      if (f.kind === 'recorder-kill') {
        const victim = current;
        const killAt = Date.now();
        if (f.how === 'tree') killTree(victim.pid);
        else process.kill(victim.pid, 'SIGKILL');
        await victim.proc.exited;
        rec.recorderKills.push({ killAt, run: rec.runs.length - 1, how: f.how });
        await sleep(f.restartAfterSec * 1000);
        current = await launch();
      } else if (f.kind === 'camera-kill') {
        const cam = cams[f.camera - 1] as Cameras;
        const killAt = Date.now();
        await cam.server.kill();
        await sleep(f.downSec * 1000);
        let backAt: number | undefined;
        for (let attempt = 1; backAt === undefined; attempt++) {
          try {
            backAt = await restartCameras(cam);
          } catch (err) {
            // the server's own start check (an ffprobe) can time out on a loaded machine: the camera stays down meanwhile
            rec.errors.push(`camera-${f.camera} did not start (attempt ${attempt}): ${(err as Error).message.split('\n')[0]}`);
            if (attempt >= 5) throw err;
            await cam.server.kill();
          }
        }
        rec.cameraDowns.push({ camera: `camera-${f.camera}`, killAt, backAt });
      } else {
        const p = await pauseStore(ctx.store, f.how, f.downSec * 1000);
        rec.storePauses.push(p);
      }
    };
    const outcomes = await Promise.allSettled(faults.map(act));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
    await at(cfg.durationSec);
    rec.faultsEnd = Date.now();

    // drain: the store is up; wait until every segment written before the last fault ended is stored
    // (gone from TEMP_DIR), then a normal shutdown. Not "backlog 0": while cameras record, a machine
    // that uploads barely faster than they record may never see an empty backlog.
    const faultsEnd = rec.faultsEnd;
    ctx.log('soak: faults over; waiting for the backlog to drain');
    const drained = await current.proc
      .until(async () => segmentFiles(tempDir).every((f) => f.mtimeMs > faultsEnd), 10 * 60_000, 'backlog drained')
      .then(
        () => true,
        (err: Error) => {
          rec.errors.push(
            `backlog not drained: ${err.message.split('\n')[0]}; left: ${segmentFiles(tempDir).filter((f) => f.mtimeMs <= faultsEnd).length} segments`,
          );
          return false;
        },
      );
    rec.drainedAt = drained ? Date.now() : undefined;
    const entry = rec.runs.at(-1);
    if (entry) entry.metrics = (await current.proc.get('/metrics')).body.split('\n').filter((l) => KEPT_METRICS.test(l));
    rec.stopAt = Date.now();
    rec.exit = await current.stop(120_000);
    sampling = false;
    await samplers;
    ctx.log(`soak: recorder stopped (${JSON.stringify(rec.exit)}); checking the bucket`);
    return await judgeSoak(ctx, cfg, rec);
  } finally {
    sampling = false;
    await current.stop(10_000);
    for (const [i, r] of rec.runs.entries()) saveLogs(r.run, join(ctx.outDir, `soak-recorder-${i + 1}.log`));
    await current.dispose();
    for (const c of cams) await c.stop();
  }
}

/** The segments on disk (camera folders only: not the quarantine, clips or events). */
function segmentFiles(tempDir: string): { path: string; mtimeMs: number }[] {
  const out: { path: string; mtimeMs: number }[] = [];
  for (const dir of readdirSync(tempDir).filter((d) => !d.startsWith('.'))) {
    let names: string[] = [];
    try {
      names = readdirSync(join(tempDir, dir)).filter((n) => n.endsWith('.mp4'));
    } catch {
      continue; // not a folder
    }
    for (const n of names) {
      const st = statSync(join(tempDir, dir, n), { throwIfNoEntry: false });
      if (st) out.push({ path: join(dir, n), mtimeMs: st.mtimeMs });
    }
  }
  return out;
}

/** A seed from the command line (--seed), else a fresh one. */
export function soakSeed(arg: string | undefined): number {
  if (arg === undefined) return Math.floor(Math.random() * 2 ** 31);
  const n = Number(arg);
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32) throw new Error(`--seed: expected an integer 0 … 4294967295, got ${JSON.stringify(arg)}`);
  return n;
}

// 6. Cameras added at runtime: a running recorder with one camera gets N more over POST /api/cameras,
// one by one (the next once the last is connected), as an integrator registering a site would.
// Per camera: the POST's answer time, time to "stream connected", time to its first finished
// segment. Recorder CPU (the Node.js process, and its ffmpegs) during the adds, against the same
// recorder in the same-length window right after (all cameras recording, nothing added). Baseline
// in the same run: the same cameras from the environment at start — what a restart with a longer
// camera list would cost instead.
import type { Ctx } from './lib/context.ts';
import { isLog, isRestart, logTime, saveLogs, startRecorder, type RecorderRun } from './lib/recorder.ts';
import { groupSum } from './lib/sampler.ts';
import { freshCameras } from './lib/servers.ts';
import { median, p95, sleep } from './lib/stats.ts';
import { join } from 'node:path';

export interface CameraAddsConfig {
  /** cameras added (camera 1 is there from the start) */
  cameras: number;
  segmentSeconds: number;
}

export interface AddSample {
  camera: string;
  /** POST sent → 201 received */
  answerMs: number;
  /** POST sent (baseline: process spawned) → "stream connected" */
  connectedSec: number;
  /** POST sent (baseline: process spawned) → "segment finished" of its first segment (clock-aligned: up to one segment after connecting) */
  firstSegmentSec: number;
}

export interface Window {
  seconds: number;
  /** the recorder's Node.js process, % of one core */
  nodePct: number;
  /** the recorder's ffmpegs together, % of one core */
  ffmpegPct: number;
}

export interface CameraAddsResult {
  config: CameraAddsConfig;
  runtime: { samples: AddSample[]; adds: Window; after: Window; restartsOfOthers: number };
  startup: { samples: AddSample[]; window: Window };
}

const TOKEN = 'bench-camera-adds-token';

export async function runCameraAdds(ctx: Ctx, cfg: CameraAddsConfig): Promise<CameraAddsResult> {
  await freshCameras(ctx);
  const ids = Array.from({ length: cfg.cameras }, (_, i) => `added-${i + 2}`);

  ctx.log(`camera adds: one camera at start, then ${cfg.cameras} added over the API one by one`);
  const run = await startRecorder({ store: ctx.store, cameras: [ctx.cameras.url(1)], segmentSeconds: cfg.segmentSeconds, env: { API_TOKEN: TOKEN } });
  let runtime: CameraAddsResult['runtime'];
  try {
    await run.proc.waitForLog(isLog('stream connected', 'camera-1'), 60_000, 'camera-1 connected');
    await sleep(cfg.segmentSeconds * 1000);
    const sent = new Map<string, { at: number; answerMs: number }>();
    const a = ctx.sampler.snap();
    for (const [i, id] of ids.entries()) {
      const at = Date.now();
      const res = await fetch(`http://127.0.0.1:${run.proc.port}/api/cameras`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ id, source_type: 'rtsp', source_url: ctx.cameras.url(i + 2) }),
      });
      if (res.status !== 201) throw new Error(`POST ${id}: ${res.status} ${await res.text()}`);
      sent.set(id, { at, answerMs: Date.now() - at });
      await run.proc.waitForLog(isLog('stream connected', id), 60_000, `${id} connected`);
    }
    const b = ctx.sampler.snap();
    await run.proc.waitForLog(
      () => ids.every((id) => run.proc.logs.some(isLog('segment finished', id))),
      3 * cfg.segmentSeconds * 1000,
      'a finished segment of every added camera',
    );
    const settled = ctx.sampler.snap();
    await sleep(Math.max(b.t - a.t, cfg.segmentSeconds * 1000));
    const c = ctx.sampler.snap();
    runtime = {
      samples: ids.map((id) => sample(run, id, sent.get(id)!.at, sent.get(id)!.answerMs)),
      adds: windowOf(ctx, a, b),
      after: windowOf(ctx, settled, c),
      restartsOfOthers: run.proc.logs.filter((l) => isRestart(l) && !ids.includes(String(l.camera))).length,
    };
  } finally {
    saveLogs(run, join(ctx.outDir, 'camera-adds-runtime.log'));
    await run.stop();
    await run.dispose();
  }

  await freshCameras(ctx);
  ctx.log(`camera adds: baseline, the same ${cfg.cameras + 1} cameras from the environment at start`);
  const a = ctx.sampler.snap();
  const spawnedAt = Date.now();
  const base = await startRecorder({
    store: ctx.store,
    cameras: Array.from({ length: cfg.cameras + 1 }, (_, i) => ctx.cameras.url(i + 1)),
    segmentSeconds: cfg.segmentSeconds,
  });
  let startup: CameraAddsResult['startup'];
  try {
    const baseIds = Array.from({ length: cfg.cameras + 1 }, (_, i) => `camera-${i + 1}`);
    await base.proc.waitForLog(() => baseIds.every((id) => base.proc.logs.some(isLog('stream connected', id))), 120_000, 'every camera connected');
    const b = ctx.sampler.snap();
    await base.proc.waitForLog(
      () => baseIds.every((id) => base.proc.logs.some(isLog('segment finished', id))),
      3 * cfg.segmentSeconds * 1000,
      'a finished segment of every camera',
    );
    startup = { samples: baseIds.slice(1).map((id) => sample(base, id, spawnedAt, Number.NaN)), window: windowOf(ctx, a, b) };
  } finally {
    saveLogs(base, join(ctx.outDir, 'camera-adds-startup.log'));
    await base.stop();
    await base.dispose();
  }
  return { config: cfg, runtime, startup };
}

function sample(run: RecorderRun, camera: string, fromMs: number, answerMs: number): AddSample {
  const at = (msg: string): number => {
    const line = run.proc.logs.find(isLog(msg, camera));
    return line === undefined ? Number.NaN : (logTime(line) - fromMs) / 1000;
  };
  return { camera, answerMs, connectedSec: at('stream connected'), firstSegmentSec: at('segment finished') };
}

function windowOf(ctx: Ctx, a: ReturnType<Ctx['sampler']['snap']>, b: ReturnType<Ctx['sampler']['snap']>): Window {
  const w = ctx.sampler.window(a, b);
  return { seconds: w.seconds, nodePct: w.groups.recorder?.cpuPct ?? 0, ffmpegPct: groupSum(w, 'recorder-ffmpeg').cpuPct };
}

/** Median and p95 of one field over the samples, for the report. */
export function spread(samples: AddSample[], field: 'answerMs' | 'connectedSec' | 'firstSegmentSec'): { median: number; p95: number } {
  const values = samples.map((s) => s[field]).filter((v) => Number.isFinite(v));
  return { median: median(values), p95: p95(values) };
}

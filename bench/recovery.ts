// 3b. Latency from "segment closed" (ffmpeg's segment-list line, seen by an independent watcher) to
// "object visible" (the benchmark's own HeadObject succeeds), and 4. recovery: time from a camera
// coming back to its first new segment being written, and time from the store coming back to the
// backlog being drained. One recorder with a few cameras runs through all three phases.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { objectKey, startFromFileName } from '../src/camera/segment-name.ts';
import type { Ctx } from './lib/context.ts';
import { isLog, isRestart, logTime, saveLogs, startRecorder, waitConnected, type RecorderRun } from './lib/recorder.ts';
import { SegmentTap } from './lib/segment-tap.ts';
import { emptyBucket, head, listAll, restartCameras, startCameras, type Cameras } from './lib/servers.ts';
import { median, MiB, p95, sleep } from './lib/stats.ts';

export interface RecoveryConfig {
  cameras: number;
  segmentSeconds: number;
  latencySeconds: number;
  cameraOutagesSeconds: number[];
  storeOutageSeconds: number;
}

export interface LatencySample {
  camera: string;
  key: string;
  bytes: number;
  /** closed (list line seen) → object visible (own HEAD) */
  latencySec: number;
  /** closed → the recorder logged "segment finished" (its watcher noticed) */
  detectSec: number;
  /** the recorder's own Upload+HEAD time for it (the transfer) */
  uploadSec: number;
}

export interface CameraOutage {
  outageSec: number;
  /** per camera: RTSP server accepting connections again → first new segment file with data */
  recoverySec: Record<string, number>;
  /** per camera: → "stream connected" logged */
  connectedSec: Record<string, number>;
  /** the recorder's restart delay in force when the camera came back (last "camera unreachable" delayMs before it) */
  lastBackoffMs: Record<string, number>;
}

export interface StoreOutage {
  outageSec: number;
  backlogSegments: number;
  backlogMiB: number;
  /** gateway answering again → first segment of the backlog stored */
  firstUploadSec: number;
  /** gateway answering again → every segment finished before that moment is stored */
  drainSec: number;
  /** drainSec minus firstUploadSec: the transfer part of the drain */
  transferSec: number;
  uploadFailures: number;
}

export interface RecoveryResult {
  config: RecoveryConfig;
  latency: LatencySample[];
  latencySummary: {
    n: number;
    medianSec: number;
    p95Sec: number;
    medianUploadSec: number;
    overheadMedianSec: number;
    overheadP95Sec: number;
    detectMedianSec: number;
    bytesMedianMiB: number;
  };
  cameraOutages: CameraOutage[];
  storeOutage: StoreOutage | undefined;
  lost: string[];
}

const mp4s = (dir: string): string[] => {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.mp4'));
  } catch {
    return [];
  }
};

async function cameraOutage(ctx: Ctx, cams: Cameras, run: RecorderRun, ids: string[], outageSec: number): Promise<CameraOutage> {
  const before = new Map(ids.map((id) => [id, new Set(mp4s(join(run.tempDir, id)))]));
  ctx.log(`recovery: camera server down for ${outageSec} s`);
  await cams.server.kill();
  await sleep(outageSec * 1000);
  const back = await restartCameras(cams);
  const recoverySec: Record<string, number> = {};
  const deadline = Date.now() + 120_000;
  while (Object.keys(recoverySec).length < ids.length && Date.now() < deadline) {
    for (const id of ids) {
      if (recoverySec[id] !== undefined) continue;
      const dir = join(run.tempDir, id);
      for (const f of mp4s(dir)) {
        if (before.get(id)?.has(f)) continue;
        let st;
        try {
          st = statSync(join(dir, f));
        } catch {
          continue;
        }
        if (st.size > 0) recoverySec[id] = (Date.now() - back) / 1000;
      }
    }
    await sleep(100);
  }
  const connectedSec: Record<string, number> = {};
  const lastBackoffMs: Record<string, number> = {};
  for (const id of ids) {
    const c = run.proc.logs.find((l) => isLog('stream connected', id)(l) && logTime(l) >= back);
    if (c) connectedSec[id] = (logTime(c) - back) / 1000;
    const retries = run.proc.logs.filter((l) => l.camera === id && isRestart(l) && logTime(l) < back);
    const last = retries[retries.length - 1];
    if (last) lastBackoffMs[id] = Number(last.delayMs);
  }
  ctx.log(
    `recovery: camera back → first new segment: ${ids.map((id) => `${id} ${recoverySec[id]?.toFixed(2) ?? 'none'} s (backoff ${lastBackoffMs[id] ?? '?'} ms)`).join(', ')}`,
  );
  return { outageSec, recoverySec, connectedSec, lastBackoffMs };
}

async function storeOutage(ctx: Ctx, run: RecorderRun, outageSec: number): Promise<StoreOutage> {
  ctx.log(`recovery: store down for ${outageSec} s`);
  const failuresBefore = run.proc.logs.filter(isLog('upload failed; retrying')).length;
  await ctx.store.server.stopGateway();
  await sleep(outageSec * 1000);
  await ctx.store.server.startGateway();
  const back = Date.now();
  const uploadedBy = (t: number): Set<string> =>
    new Set(run.proc.logs.filter((l) => isLog('segment uploaded')(l) && logTime(l) <= t).map((l) => String(l.key)));
  const done = uploadedBy(back);
  const pending = run.proc.logs
    .filter((l) => isLog('segment finished')(l) && logTime(l) <= back)
    .map((l) => ({ key: objectKey(String(l.camera), startFromFileName(String(l.file)) ?? NaN), bytes: Number(l.bytes) }))
    .filter((p) => !done.has(p.key));
  const keys = new Set(pending.map((p) => p.key));
  ctx.log(`recovery: store back; backlog ${pending.length} segments, ${(pending.reduce((s, p) => s + p.bytes, 0) / MiB).toFixed(0)} MiB`);
  const drained = await run.proc
    .waitForLog(() => [...keys].every((k) => run.proc.logs.some((l) => isLog('segment uploaded')(l) && l.key === k)), 15 * 60_000, 'backlog drained')
    .then(
      () => true,
      () => false,
    );
  const ups = run.proc.logs.filter((l) => isLog('segment uploaded')(l) && keys.has(String(l.key)));
  const times = ups.map(logTime);
  // the first segment of the backlog stored (new segments, not yet failed once, go at once and say nothing)
  const first = run.proc.logs.find((l) => isLog('segment uploaded')(l) && keys.has(String(l.key)));
  const drainSec = drained ? (Math.max(...times) - back) / 1000 : NaN;
  const firstUploadSec = first ? (logTime(first) - back) / 1000 : NaN;
  const r: StoreOutage = {
    outageSec,
    backlogSegments: pending.length,
    backlogMiB: pending.reduce((s, p) => s + p.bytes, 0) / MiB,
    firstUploadSec,
    drainSec,
    transferSec: drainSec - firstUploadSec,
    uploadFailures: run.proc.logs.filter(isLog('upload failed; retrying')).length - failuresBefore,
  };
  ctx.log(`recovery: store back → first upload ${r.firstUploadSec.toFixed(1)} s, backlog drained ${r.drainSec.toFixed(1)} s`);
  return r;
}

export async function runRecovery(ctx: Ctx, cfg: RecoveryConfig): Promise<RecoveryResult> {
  const cams = await startCameras(cfg.cameras);
  const ids = Array.from({ length: cfg.cameras }, (_, i) => `camera-${i + 1}`);
  const run = await startRecorder({ store: ctx.store, cameras: ids.map((_, i) => cams.url(i + 1)), segmentSeconds: cfg.segmentSeconds });
  const tap = new SegmentTap(run.tempDir, ids, 100);
  const visible = new Map<string, number>();
  let polling = true;
  tap.onClosed((c) => {
    if (!polling) return;
    const key = objectKey(c.camera, startFromFileName(c.name) ?? NaN);
    void (async () => {
      const deadline = Date.now() + 120_000;
      while (polling && Date.now() < deadline) {
        const h = await head(ctx.store.client, run.bucket, key).catch(() => undefined);
        if (h) {
          visible.set(key, Date.now());
          return;
        }
        await sleep(50);
      }
    })();
  });
  try {
    await waitConnected(run, cfg.cameras, 120_000);
    ctx.log(`recovery: latency, ${cfg.cameras} cameras for ${cfg.latencySeconds} s`);
    const latStart = Date.now();
    await sleep(cfg.latencySeconds * 1000);
    await sleep(5000); // let the last segments of the phase arrive
    polling = false;
    const finished = new Map(run.proc.logs.filter(isLog('segment finished')).map((l) => [`${String(l.camera)}/${String(l.file)}`, logTime(l)]));
    const uploaded = new Map(run.proc.logs.filter(isLog('segment uploaded')).map((l) => [String(l.key), l]));
    const latency: LatencySample[] = tap.closed
      .filter((c) => c.t >= latStart)
      .flatMap((c) => {
        const key = objectKey(c.camera, startFromFileName(c.name) ?? NaN);
        const v = visible.get(key);
        const up = uploaded.get(key);
        const fin = finished.get(`${c.camera}/${c.name}`);
        if (v === undefined || !up || fin === undefined) return [];
        return [
          { camera: c.camera, key, bytes: Number(up.bytes), latencySec: (v - c.t) / 1000, detectSec: (fin - c.t) / 1000, uploadSec: Number(up.uploadSeconds) },
        ];
      });
    const latencySummary = {
      n: latency.length,
      medianSec: median(latency.map((l) => l.latencySec)),
      p95Sec: p95(latency.map((l) => l.latencySec)),
      medianUploadSec: median(latency.map((l) => l.uploadSec)),
      overheadMedianSec: median(latency.map((l) => l.latencySec - l.uploadSec)),
      overheadP95Sec: p95(latency.map((l) => l.latencySec - l.uploadSec)),
      detectMedianSec: median(latency.map((l) => l.detectSec)),
      bytesMedianMiB: median(latency.map((l) => l.bytes)) / MiB,
    };
    ctx.log(
      `recovery: latency closed → visible: median ${latencySummary.medianSec.toFixed(2)} s, p95 ${latencySummary.p95Sec.toFixed(2)} s (n=${latency.length}); minus the upload itself: median ${latencySummary.overheadMedianSec.toFixed(2)} s, p95 ${latencySummary.overheadP95Sec.toFixed(2)} s`,
    );

    const cameraOutages: CameraOutage[] = [];
    for (const d of cfg.cameraOutagesSeconds) {
      cameraOutages.push(await cameraOutage(ctx, cams, run, ids, d));
      await sleep(cfg.segmentSeconds * 1000);
    }
    const storeOut = cfg.storeOutageSeconds > 0 ? await storeOutage(ctx, run, cfg.storeOutageSeconds) : undefined;
    await run.stop();
    const stored = new Set(await listAll(ctx.store.client, run.bucket));
    const lost = [
      ...new Set(run.proc.logs.filter(isLog('segment finished')).map((l) => objectKey(String(l.camera), startFromFileName(String(l.file)) ?? NaN))),
    ].filter((k) => !stored.has(k));
    if (lost.length > 0) ctx.log(`recovery: ${lost.length} finished segments not in the store: ${lost.slice(0, 5).join(', ')}`);
    return { config: cfg, latency, latencySummary, cameraOutages, storeOutage: storeOut, lost };
  } finally {
    polling = false;
    tap.close();
    await run.stop();
    saveLogs(run, join(ctx.outDir, 'recovery-recorder.log'));
    await emptyBucket(ctx.store.client, run.bucket).catch(() => undefined);
    await run.dispose();
    await cams.stop();
  }
}

// 2. Cameras per machine: the largest camera count at which, over the whole run, no segment is
// missing, every full segment's duration is within one GOP of the target, and consecutive segments
// of a camera leave no gap — with the camera server and the store on the same machine, each
// measured separately. Steps up a ladder of camera counts and stops at the first failure; the full
// mode then confirms the largest passing count over a long run.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ctx } from './lib/context.ts';
import { localSegments } from '../test/support/bucket.ts';
import { objectKey, startFromFileName } from '../src/camera/segment-name.ts';
import { checkContinuity, deepCheck, emptyAndForget, Janitor, type Continuity, type DeepCheck } from './lib/objects.ts';
import { isLog, isLoss, isRestart, isStall, logTime, saveLogs, startRecorder, waitConnected } from './lib/recorder.ts';
import { groupSum } from './lib/sampler.ts';
import { SegmentTap } from './lib/segment-tap.ts';
import { CAMERA, freshCameras, startCameras } from './lib/servers.ts';
import { median, p95, sleep } from './lib/stats.ts';

export interface CapacityConfig {
  ladder: number[];
  stepSeconds: number;
  /** 0: no confirmation run */
  confirmSeconds: number;
  segmentSeconds: number;
  /** cameras whose first and last full segments are downloaded and their frames counted */
  deepCheckCameras: number;
}

export interface StepResult {
  n: number;
  kind: 'step' | 'confirm';
  plannedSeconds: number;
  ranSeconds: number;
  pass: boolean;
  reasons: string[];
  continuity: Omit<Continuity, 'gaps'> & { gapMedianSec: number };
  finished: number;
  lost: string[];
  leftOnDisk: number;
  /** after every camera recorded */
  restarts: number;
  /** camera (re)connect attempts before every camera recorded (start-up) */
  startupRetries: number;
  stalls: number;
  dropped: number;
  quarantined: number;
  backlogMaxSegments: number;
  backlogEndSegments: number;
  latency: { n: number; medianSec: number; p95Sec: number; maxSec: number };
  deep: DeepCheck[];
  /** segments whose container duration was off by more than one GOP, with their video track's duration */
  videoRechecked: { key: string; containerSec: number; videoSec: number }[];
  cpu: Record<string, number>;
  nodePssMaxMiB: number | undefined;
  ffmpegPssMiB: number | undefined;
  storeRssMiB: number | undefined;
}

export interface CapacityResult {
  config: CapacityConfig;
  steps: StepResult[];
  largestPassing: number | undefined;
  firstFailing: number | undefined;
  confirmed: boolean | undefined;
}

async function runStep(ctx: Ctx, cfg: CapacityConfig, n: number, seconds: number, kind: 'step' | 'confirm'): Promise<StepResult> {
  const S = cfg.segmentSeconds;
  await freshCameras(ctx);
  const ids = Array.from({ length: n }, (_, i) => `camera-${i + 1}`);
  const urls = ids.map((_, i) => ctx.cameras.url(i + 1));
  const deepCams = new Set(
    Array.from({ length: Math.min(cfg.deepCheckCameras, n) }, (_, i) => ids[Math.floor((i * n) / Math.min(cfg.deepCheckCameras, n))] as string),
  );
  const run = await startRecorder({ store: ctx.store, cameras: urls, segmentSeconds: S });
  const tap = new SegmentTap(run.tempDir, ids);
  // keep, for a few cameras, the second object (first full segment) and the two newest (the last full one is among them)
  // and every segment whose stored (container) duration is off by more than one GOP: its video track is measured below
  const janitor: Janitor = new Janitor(ctx.store.client, run.bucket, (key, all) => {
    if (Math.abs((janitor.objects.get(key)?.durationSec ?? S) - S) > CAMERA.gopSec) return true;
    const cam = key.split('/')[0] ?? '';
    if (!deepCams.has(cam)) return false;
    const i = all.indexOf(key);
    return i === 1 || i >= all.length - 2;
  });
  const reasons: string[] = [];
  let backlogMax = 0;
  let backlogEnd = 0;
  let ranSeconds = 0;
  // the window starts when every camera records; if they never all do, it covers the whole attempt
  let a = ctx.sampler.snap();
  let b = a;
  const connectTimeoutSec = 60 + n;
  try {
    try {
      await waitConnected(run, n, connectTimeoutSec * 1000);
      a = ctx.sampler.snap();
    } catch {
      reasons.push(
        `only ${new Set(run.proc.logs.filter(isLog('stream connected')).map((l) => l.camera)).size}/${n} cameras connected within ${connectTimeoutSec} s`,
      );
    }
    const t0 = Date.now();
    let nextJanitor = t0 + 20_000;
    while (reasons.length === 0 && Date.now() - t0 < seconds * 1000) {
      await sleep(Math.min(5000, Math.max(0, t0 + seconds * 1000 - Date.now())));
      try {
        backlogEnd = await run.proc.metric('camera_upload_queue_segments');
        backlogMax = Math.max(backlogMax, backlogEnd);
      } catch {
        // a busy recorder may answer late; the next scrape will do
      }
      // from the moment every camera recorded: a camera that needed a second try to connect at start
      // (the camera server busy with N new clients) is not a failure of steady-state recording
      const bad = run.proc.logs.filter((l) => (isRestart(l) || isStall(l) || isLoss(l)) && logTime(l) >= a.t);
      if (bad.length > 0)
        reasons.push(
          `${bad.length} × ${[...new Set(bad.map((l) => l.msg))].join(', ')} (first: ${bad[0]?.camera ?? ''} at ${Math.round((logTime(bad[0]!) - t0) / 1000)} s)`,
        );
      if (Date.now() >= nextJanitor) {
        nextJanitor = Date.now() + 20_000;
        await janitor.pass({ delete: true }).catch((err) => ctx.log(`janitor: ${String(err)}`));
      }
    }
    ranSeconds = (Date.now() - t0) / 1000;
    b = ctx.sampler.snap();
  } finally {
    const exit = await run.stop(120_000);
    tap.close();
    if (exit.code !== 0) reasons.push(`recorder exited ${JSON.stringify(exit)}`);
  }
  saveLogs(run, join(ctx.outDir, `capacity-${kind}-${n}-recorder.log`));
  const leftOnDisk = localSegments(run.tempDir).length;
  await janitor.pass({ delete: false });
  const byCamera = janitor.byCamera();
  const expectedFull = Math.max(1, Math.floor(ranSeconds / S) - 2);
  const checkOpts = { targetSec: S, durationTolSec: CAMERA.gopSec, gapTolSec: 0.5, expectedFull };
  // The stored duration spans audio and video; the cut is a video key frame, and the audio may run
  // up to one AAC frame past it. A segment off by more than one GOP by that measure is downloaded
  // and judged by its video track's own duration.
  const overContainer = checkContinuity(byCamera, checkOpts).badDurations.slice(0, 200);
  const rechecked = await deepCheck(
    ctx.store.client,
    run.bucket,
    overContainer.map((o) => o.key),
  ).catch((err) => {
    reasons.push(`video duration check failed: ${String(err)}`);
    return [];
  });
  const videoSec = new Map(rechecked.map((d) => [d.key, d.durationSec]));
  const videoRechecked = overContainer.map((o) => ({ key: o.key, containerSec: o.durationSec, videoSec: videoSec.get(o.key) ?? NaN }));
  const cont = checkContinuity(
    new Map([...byCamera].map(([cam, list]) => [cam, list.map((o) => ({ ...o, durationSec: videoSec.get(o.key) ?? o.durationSec }))])),
    checkOpts,
  );
  const finishedLogs = run.proc.logs.filter(isLog('segment finished'));
  const keyOf = (camera: string, file: string): string => objectKey(camera, startFromFileName(file) ?? NaN);
  const stored = new Set(janitor.objects.keys());
  const lost = [...new Set([...finishedLogs.map((l) => keyOf(String(l.camera), String(l.file))), ...tap.closed.map((c) => keyOf(c.camera, c.name))])].filter(
    (k) => !stored.has(k),
  );
  const uploadedAt = new Map(run.proc.logs.filter(isLog('segment uploaded')).map((l) => [String(l.key), logTime(l)]));
  const lat = tap.closed.flatMap((c) => {
    const t = uploadedAt.get(keyOf(c.camera, c.name));
    return t === undefined ? [] : [(t - c.t) / 1000];
  });
  // deep check: first full and last full segment of a few cameras
  const deepKeys: string[] = [];
  for (const cam of deepCams) {
    const list = byCamera.get(cam) ?? [];
    if (list.length >= 3) deepKeys.push((list[1] as { key: string }).key, (list[list.length - 2] as { key: string }).key);
  }
  const deep = await deepCheck(ctx.store.client, run.bucket, deepKeys).catch((err) => {
    reasons.push(`deep check failed: ${String(err)}`);
    return [];
  });
  await emptyAndForget(ctx.store.client, run.bucket).catch(() => undefined);
  await run.dispose();

  if (lost.length > 0) reasons.push(`${lost.length} segments finished but not in the store`);
  if (leftOnDisk > 0) reasons.push(`${leftOnDisk} segments still on disk after the shutdown drain (uploads fell behind)`);
  if (cont.badDurations.length > 0)
    reasons.push(`${cont.badDurations.length} segments with a video duration off by more than one GOP (max ${cont.maxDurationDevSec.toFixed(2)} s)`);
  if (cont.badGaps.length > 0) reasons.push(`${cont.badGaps.length} gaps > 0.5 s between consecutive segments (max ${cont.maxGapSec.toFixed(2)} s)`);
  if (cont.shortCameras.length > 0) reasons.push(`${cont.shortCameras.length} cameras with fewer than ${expectedFull} full segments`);
  const slow = deep.filter((d) => d.fps < CAMERA.fps * 0.98);
  if (slow.length > 0)
    reasons.push(`${slow.length}/${deep.length} checked segments below ${CAMERA.fps} fps (min ${Math.min(...slow.map((d) => d.fps)).toFixed(2)})`);

  const w = ctx.sampler.window(a, b);
  const cpu: Record<string, number> = {
    recorderNode: w.groups.recorder?.cpuPct ?? 0,
    recorderFfmpeg: groupSum(w, 'recorder-ffmpeg').cpuPct,
    recorderFfprobe: w.groups['recorder+reaped']?.cpuPct ?? 0,
    cameraServer: w.groups['camera-server']?.cpuPct ?? 0,
    store: groupSum(w, 'store').cpuPct + (w.groups['store+reaped']?.cpuPct ?? 0),
    bench: (w.groups.bench?.cpuPct ?? 0) + (w.groups['bench+reaped']?.cpuPct ?? 0),
    machineBusy: w.machineBusyPct,
    outside: w.outsidePct,
  };
  const { gaps, ...contRest } = cont;
  return {
    n,
    kind,
    plannedSeconds: seconds,
    ranSeconds,
    pass: reasons.length === 0,
    reasons,
    continuity: { ...contRest, gapMedianSec: median(gaps) },
    finished: finishedLogs.length,
    lost,
    leftOnDisk,
    restarts: run.proc.logs.filter((l) => isRestart(l) && logTime(l) >= a.t).length,
    startupRetries: run.proc.logs.filter((l) => isRestart(l) && logTime(l) < a.t).length,
    stalls: run.proc.logs.filter((l) => isStall(l) && logTime(l) >= a.t).length,
    dropped: run.proc.logs.filter((l) => l.msg.startsWith('segment dropped')).length,
    quarantined: run.proc.logs.filter((l) => l.msg.startsWith('segment quarantined')).length,
    backlogMaxSegments: backlogMax,
    backlogEndSegments: backlogEnd,
    latency: { n: lat.length, medianSec: median(lat), p95Sec: p95(lat), maxSec: lat.length ? Math.max(...lat) : NaN },
    deep,
    videoRechecked,
    cpu,
    nodePssMaxMiB: w.groups.recorder?.pssMax === undefined ? undefined : w.groups.recorder.pssMax / 2 ** 20,
    ffmpegPssMiB: groupSum(w, 'recorder-ffmpeg').pssMedian === undefined ? undefined : (groupSum(w, 'recorder-ffmpeg').pssMedian as number) / 2 ** 20,
    storeRssMiB: groupSum(w, 'store').pssMax === undefined ? undefined : (groupSum(w, 'store').pssMax as number) / 2 ** 20,
  };
}

function describe(s: StepResult): string {
  const c = s.cpu;
  return (
    `${s.kind} n=${s.n} ${s.pass ? 'PASS' : 'FAIL'} (${s.ranSeconds.toFixed(0)} s, ${s.continuity.fullSegments} full segments, max |dur-S| ${s.continuity.maxDurationDevSec.toFixed(2)} s, gaps ${s.continuity.minGapSec.toFixed(2)}..${s.continuity.maxGapSec.toFixed(2)} s, latency p50 ${s.latency.medianSec.toFixed(2)} s p95 ${s.latency.p95Sec.toFixed(2)} s, backlog max ${s.backlogMaxSegments}) ` +
    `cpu%: node ${c.recorderNode?.toFixed(1)} ffmpeg ${c.recorderFfmpeg?.toFixed(1)} ffprobe ${c.recorderFfprobe?.toFixed(1)} cams ${c.cameraServer?.toFixed(1)} store ${c.store?.toFixed(1)} bench ${c.bench?.toFixed(1)} machine ${c.machineBusy?.toFixed(0)} outside ${c.outside?.toFixed(0)}` +
    (s.reasons.length ? ` — ${s.reasons.join('; ')}` : '')
  );
}

export async function runCapacity(ctx: Ctx, cfg: CapacityConfig): Promise<CapacityResult> {
  const steps: StepResult[] = [];
  let largestPassing: number | undefined;
  let firstFailing: number | undefined;
  const ladder = [...cfg.ladder];
  for (let i = 0; i < ladder.length; i++) {
    const n = ladder[i] as number;
    ctx.log(`capacity: ${n} cameras for ${cfg.stepSeconds} s`);
    ctx.sampler.clear();
    const s = await runStep(ctx, cfg, n, cfg.stepSeconds, 'step');
    ctx.log(`capacity: ${describe(s)}`);
    steps.push(s);
    if (s.pass) {
      largestPassing = n;
      continue;
    }
    firstFailing = n;
    // the first rung already fails: try half of it once
    if (i === 0 && n > 2) ladder.splice(1, ladder.length, Math.floor(n / 2));
    else break;
  }
  let confirmed: boolean | undefined;
  if (cfg.confirmSeconds > 0 && largestPassing !== undefined) {
    ctx.log(`capacity: confirming ${largestPassing} cameras for ${cfg.confirmSeconds} s`);
    ctx.sampler.clear();
    const s = await runStep(ctx, cfg, largestPassing, cfg.confirmSeconds, 'confirm');
    ctx.log(`capacity: ${describe(s)}`);
    steps.push(s);
    confirmed = s.pass;
  }
  return { config: cfg, steps, largestPassing, firstFailing, confirmed };
}

export interface EncoderCost {
  seconds: number;
  /** one pipeline (x264 1080p15 + audio) per camera, as the default camera server runs them */
  perEncoderPct: number;
  /** the shared-source server used by the benchmarks (one pipeline per audio kind), whatever the camera count */
  sharedServerPct: number | undefined;
}

/**
 * What the camera server itself costs: a default server (one encoder per mount) with two mounts and
 * one client each, for `seconds`. With one encoder per camera the server alone would need
 * perEncoderPct × N % of a core.
 */
export async function measureEncoderCost(ctx: Ctx, seconds: number): Promise<EncoderCost> {
  const cams = await startCameras(2, { sharedSource: false, first: 1 });
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  const clients = [1, 2].map((i) => spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', cams.url(i), '-c', 'copy', '-f', 'null', '-'], { stdio: 'ignore' }));
  try {
    await sleep(4000);
    const a = ctx.sampler.snap();
    await sleep(seconds * 1000);
    const b = ctx.sampler.snap();
    const w = ctx.sampler.window(a, b);
    // both camera servers run now: the default one is the one with two encoders; tell them apart by pid
    const pidOf = (s: typeof b, port: number): string | undefined =>
      [...s.procs.entries()].find(
        ([, p]) => p.group === 'camera-server' && p.stat.ppid === process.pid && cmdlineHas(p.stat.pid, `--exit-on-eof ${port}`),
      )?.[0];
    const key = pidOf(b, cams.server.port);
    const before = key ? a.procs.get(key) : undefined;
    const after = key ? b.procs.get(key) : undefined;
    const defaultPct = before && after ? ((after.stat.cpu - before.stat.cpu) / w.seconds) * 100 : NaN;
    const total = w.groups['camera-server']?.cpuPct;
    return { seconds, perEncoderPct: defaultPct / 2, sharedServerPct: total === undefined ? undefined : total - defaultPct };
  } finally {
    for (const c of clients) c.kill('SIGKILL');
    await cams.stop();
  }
}

function cmdlineHas(pid: number, text: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(text);
  } catch {
    return false;
  }
}

// 1. Cost per camera: CPU and memory (PSS) of the recorder (its Node.js process, its ffmpeg children,
// its short-lived ffprobe runs) against the baseline — the same ffmpeg command lines started by a
// plain shell — for N cameras, measured back to back in the same run, alternating which goes first.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBaseline } from './lib/baseline.ts';
import type { Ctx } from './lib/context.ts';
import { isLog, isRestart, isStall, logTime, saveLogs, startRecorder, waitConnected } from './lib/recorder.ts';
import { groupSum, type WindowStats } from './lib/sampler.ts';
import { audioOf, emptyBucket, freshCameras } from './lib/servers.ts';
import { median, sleep } from './lib/stats.ts';

export interface CostConfig {
  counts: number[];
  rounds: number;
  segmentSeconds: number;
  /**
   * A second recorder run per count with production-length segments, measured in a window in which
   * no segment closes: what supervising N cameras costs, apart from the per-segment work (check,
   * hash, upload) that short segments bring every few seconds.
   */
  steadySegmentSeconds: number;
  windowSeconds: number;
  warmupSeconds: number;
}

type Variant = 'recorder' | 'steady' | 'baseline';

export interface CostRun {
  variant: Variant;
  n: number;
  round: number;
  seconds: number;
  /** % of one core, averaged over the window. */
  nodePct: number;
  /** ffprobe and other short-lived children of the recorder (reaped within the window). */
  childrenPct: number;
  ffmpegPct: number;
  ffmpegCount: number;
  /** mean % of one core of one ffmpeg: AAC camera (audio copied), G.711 camera (audio transcoded to AAC) */
  ffmpegCopyEachPct: number | undefined;
  ffmpegTranscodeEachPct: number | undefined;
  nodePssMedian: number | undefined;
  nodePssMax: number | undefined;
  ffmpegPssMedian: number | undefined;
  cameraServerPct: number;
  storePct: number;
  machineBusyPct: number;
  outsidePct: number;
  segmentsUploaded: number;
  /** bytes of the segments uploaded within the window */
  bytesUploaded: number;
  /** Per-interval % of one core of the node process (median over intervals, for single-round runs). */
  nodeIntervalMedianPct: number;
  problems: string[];
  /** a disturbed run that was repeated; not in the summary */
  excluded?: boolean;
}

export interface CostSummary {
  n: number;
  runs: number;
  baselineFfmpegPct: number;
  recorderFfmpegPct: number;
  nodePct: number;
  childrenPct: number;
  recorderTotalPct: number;
  /** recorder total (node + ffmpeg + ffprobe) / baseline ffmpeg */
  overheadRatio: number;
  /** node process CPU / baseline ffmpeg CPU, in % (target: <= 5 %) */
  nodeAddsPct: number;
  /** node + its ffprobe runs / baseline ffmpeg CPU, in % */
  nodeAndChildrenAddPct: number;
  nodePctPerCamera: number;
  nodePssMedianMiB: number;
  nodePssMaxMiB: number;
  ffmpegPssPerCameraMiB: number;
  ffmpegCopyEachPct: number;
  ffmpegTranscodeEachPct: number;
  baselineCopyEachPct: number;
  baselineTranscodeEachPct: number;
  cameraServerPct: number;
  storePct: number;
  machineBusyPct: number;
  outsidePct: number;
  segmentsPerRun: number;
  /** steady state (no segment closes in the window): node CPU and PSS */
  steadyNodePct: number;
  steadyNodeAddsPct: number;
  steadyNodePssMedianMiB: number;
  steadyNodePssMaxMiB: number;
  /** (node with short segments − node steady) / bytes uploaded in the window: CPU s per GiB stored */
  perSegmentCpuSecPerGiB: number;
}

export interface CostResult {
  config: CostConfig;
  runs: CostRun[];
  summary: CostSummary[];
}

function fromWindow(w: WindowStats, variant: Variant, n: number, round: number): CostRun {
  const group = variant === 'steady' ? 'recorder' : variant;
  const ff = groupSum(w, `${group}-ffmpeg`);
  const copy = w.groups[`${group}-ffmpeg:copy`];
  const trans = w.groups[`${group}-ffmpeg:transcode`];
  const node = w.groups.recorder;
  return {
    variant,
    n,
    round,
    seconds: w.seconds,
    nodePct: node?.cpuPct ?? 0,
    childrenPct: w.groups['recorder+reaped']?.cpuPct ?? 0,
    ffmpegPct: ff.cpuPct,
    ffmpegCount: ff.count,
    ffmpegCopyEachPct: copy && copy.count > 0 ? copy.cpuPct / copy.count : undefined,
    ffmpegTranscodeEachPct: trans && trans.count > 0 ? trans.cpuPct / trans.count : undefined,
    nodePssMedian: node?.pssMedian,
    nodePssMax: node?.pssMax,
    ffmpegPssMedian: ff.pssMedian,
    cameraServerPct: w.groups['camera-server']?.cpuPct ?? 0,
    storePct: groupSum(w, 'store').cpuPct + (w.groups['store+reaped']?.cpuPct ?? 0),
    machineBusyPct: w.machineBusyPct,
    outsidePct: w.outsidePct,
    segmentsUploaded: 0,
    bytesUploaded: 0,
    nodeIntervalMedianPct: median(w.intervals.recorder ?? []),
    problems: [],
  };
}

async function measureRecorder(ctx: Ctx, cfg: CostConfig, n: number, round: number, variant: 'recorder' | 'steady'): Promise<CostRun> {
  const urls = Array.from({ length: n }, (_, i) => ctx.cameras.url(i + 1));
  const segmentSeconds = variant === 'steady' ? cfg.steadySegmentSeconds : cfg.segmentSeconds;
  const label = `cost-n${n}-r${round}${variant === 'steady' ? '-steady' : ''}`;
  const run = await startRecorder({ store: ctx.store, cameras: urls, segmentSeconds, ...(ctx.profileDir ? { profileDir: join(ctx.profileDir, label) } : {}) });
  try {
    await waitConnected(run, n, 120_000);
    await sleep(cfg.warmupSeconds * 1000);
    const a = ctx.sampler.snap();
    await sleep(cfg.windowSeconds * 1000);
    const b = ctx.sampler.snap();
    const r = fromWindow(ctx.sampler.window(a, b), variant, n, round);
    const uploaded = run.proc.logs.filter((l) => isLog('segment uploaded')(l) && logTime(l) >= a.t && logTime(l) <= b.t);
    r.segmentsUploaded = uploaded.length;
    r.bytesUploaded = uploaded.reduce((sum, l) => sum + Number(l.bytes ?? 0), 0);
    // a segment boundary (clock-aligned) inside the window: not the steady state
    const closed = run.proc.logs.filter((l) => isLog('segment finished')(l) && logTime(l) >= a.t - 2000 && logTime(l) <= b.t);
    if (variant === 'steady' && (closed.length > 0 || uploaded.length > 0))
      r.problems.push(`${Math.max(closed.length, uploaded.length)} segments closed within the steady-state window`);
    if (r.ffmpegCount !== n) r.problems.push(`${r.ffmpegCount} ffmpeg processes for ${n} cameras`);
    const restarts = run.proc.logs.filter((l) => isRestart(l) || isStall(l));
    if (restarts.length > 0)
      r.problems.push(
        `${restarts.length} ffmpeg restarts (first: ${String(restarts[0]?.msg)} ${String(restarts[0]?.err ?? (restarts[0]?.stderr as string[] | undefined)?.join(' ') ?? '')})`,
      );
    const plans = run.proc.logs.filter(isLog('starting ffmpeg'));
    const wrong = plans.filter((l) => l.audio !== (audioOf(Number(String(l.camera).replace('camera-', ''))) === 'aac' ? 'copy' : 'transcode'));
    if (wrong.length > 0) r.problems.push(`${wrong.length} cameras with an unexpected audio plan`);
    return r;
  } finally {
    const exit = await run.stop();
    if (exit.code !== 0) ctx.log(`recorder exited ${JSON.stringify(exit)}`);
    saveLogs(run, join(ctx.outDir, `${label}-recorder.log`));
    await emptyBucket(ctx.store.client, run.bucket).catch(() => undefined);
    await run.dispose();
  }
}

async function measureBaseline(ctx: Ctx, cfg: CostConfig, n: number, round: number): Promise<CostRun> {
  const dir = mkdtempSync(join(tmpdir(), 'camrec-baseline-'));
  const cams = Array.from({ length: n }, (_, i) => ({
    id: `camera-${i + 1}`,
    url: ctx.cameras.url(i + 1),
    audioCodec: audioOf(i + 1) === 'aac' ? 'aac' : 'pcm_alaw',
  }));
  const base = startBaseline(cams, dir, cfg.segmentSeconds);
  try {
    await base.waitRecording(120_000);
    await sleep(cfg.warmupSeconds * 1000);
    const a = ctx.sampler.snap();
    await sleep(cfg.windowSeconds * 1000);
    const b = ctx.sampler.snap();
    const r = fromWindow(ctx.sampler.window(a, b), 'baseline', n, round);
    if (r.ffmpegCount !== n) r.problems.push(`${r.ffmpegCount} ffmpeg processes for ${n} cameras`);
    return r;
  } finally {
    await base.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runCost(ctx: Ctx, cfg: CostConfig): Promise<CostResult> {
  const runs: CostRun[] = [];
  for (let round = 1; round <= cfg.rounds; round++) {
    for (const [j, n] of cfg.counts.entries()) {
      // alternate the order so neither variant always runs first (drift, page cache, neighbours)
      const order: Variant[] = (round + j) % 2 === 0 ? ['baseline', 'steady', 'recorder'] : ['recorder', 'steady', 'baseline'];
      for (const variant of order) {
        ctx.log(`cost: round ${round}/${cfg.rounds}, ${n} cameras, ${variant}`);
        ctx.sampler.clear();
        const measure = async (): Promise<CostRun> => {
          await freshCameras(ctx);
          try {
            return await (variant === 'baseline' ? measureBaseline(ctx, cfg, n, round) : measureRecorder(ctx, cfg, n, round, variant));
          } catch (err) {
            // one failed run (cameras not all connected, …) must not lose the others: recorded, repeated once
            const empty: WindowStats = { seconds: 0, groups: {}, intervals: {}, machineBusyPct: NaN, outsidePct: NaN };
            const failed = fromWindow(empty, variant, n, round);
            failed.problems.push(`run failed: ${String((err as Error).message).split('\n')[0]}`);
            return failed;
          }
        };
        let r = await measure();
        if (r.problems.length > 0) {
          // a disturbed run (ffmpeg restarted, a camera missing) does not measure steady state: once more
          ctx.log(`cost:   ${variant} n=${n}: ${r.problems.join('; ')}; measuring again`);
          runs.push({ ...r, excluded: true });
          ctx.sampler.clear();
          r = await measure();
        }
        ctx.log(
          `cost:   ${variant} n=${n}: node ${r.nodePct.toFixed(2)}% ffmpeg ${r.ffmpegPct.toFixed(2)}% (${r.ffmpegCount}) ffprobe ${r.childrenPct.toFixed(2)}% node PSS ${((r.nodePssMedian ?? 0) / 2 ** 20).toFixed(1)} MiB; machine ${r.machineBusyPct.toFixed(0)}% (outside ${r.outsidePct.toFixed(0)}%)${r.problems.length ? ` PROBLEMS: ${r.problems.join('; ')}` : ''}`,
        );
        runs.push(r);
      }
    }
  }
  return { config: cfg, runs, summary: summarize(runs, cfg.counts) };
}

function summarize(runs: CostRun[], counts: number[]): CostSummary[] {
  return counts.map((n) => {
    const rec = runs.filter((r) => r.n === n && r.variant === 'recorder' && !r.excluded);
    const base = runs.filter((r) => r.n === n && r.variant === 'baseline' && !r.excluded);
    const steady = runs.filter((r) => r.n === n && r.variant === 'steady' && !r.excluded);
    const m = (rs: CostRun[], f: (r: CostRun) => number | undefined): number => median(rs.map(f).filter((x): x is number => x !== undefined));
    // ratios per round (same round = closest in time), then the median of the ratios
    const rounds = [...new Set(rec.map((r) => r.round))];
    const pairOf = (xs: CostRun[], ys: CostRun[], f: (x: CostRun, y: CostRun) => number): number =>
      median(
        rounds.flatMap((k) => {
          const x = xs.find((r) => r.round === k);
          const y = ys.find((r) => r.round === k);
          return x && y ? [f(x, y)] : [];
        }),
      );
    const pair = (f: (r: CostRun, b: CostRun) => number): number => pairOf(rec, base, f);
    const nodePct = m(rec, (r) => r.nodePct);
    return {
      n,
      runs: rec.length,
      baselineFfmpegPct: m(base, (r) => r.ffmpegPct),
      recorderFfmpegPct: m(rec, (r) => r.ffmpegPct),
      nodePct,
      childrenPct: m(rec, (r) => r.childrenPct),
      recorderTotalPct: m(rec, (r) => r.nodePct + r.ffmpegPct + r.childrenPct),
      overheadRatio: pair((r, b) => (r.nodePct + r.ffmpegPct + r.childrenPct) / b.ffmpegPct),
      nodeAddsPct: pair((r, b) => (r.nodePct / b.ffmpegPct) * 100),
      nodeAndChildrenAddPct: pair((r, b) => ((r.nodePct + r.childrenPct) / b.ffmpegPct) * 100),
      nodePctPerCamera: nodePct / n,
      nodePssMedianMiB: m(rec, (r) => r.nodePssMedian) / 2 ** 20,
      nodePssMaxMiB: m(rec, (r) => r.nodePssMax) / 2 ** 20,
      ffmpegPssPerCameraMiB: m(rec, (r) => (r.ffmpegPssMedian === undefined ? undefined : r.ffmpegPssMedian / n)) / 2 ** 20,
      ffmpegCopyEachPct: m(rec, (r) => r.ffmpegCopyEachPct),
      ffmpegTranscodeEachPct: m(rec, (r) => r.ffmpegTranscodeEachPct),
      baselineCopyEachPct: m(base, (r) => r.ffmpegCopyEachPct),
      baselineTranscodeEachPct: m(base, (r) => r.ffmpegTranscodeEachPct),
      cameraServerPct: m([...rec, ...base], (r) => r.cameraServerPct),
      storePct: m(rec, (r) => r.storePct),
      machineBusyPct: m(rec, (r) => r.machineBusyPct),
      outsidePct: m([...rec, ...base], (r) => r.outsidePct),
      segmentsPerRun: m(rec, (r) => r.segmentsUploaded),
      steadyNodePct: m(steady, (r) => r.nodePct),
      steadyNodeAddsPct: pairOf(steady, base, (r, b) => (r.nodePct / b.ffmpegPct) * 100),
      steadyNodePssMedianMiB: m(steady, (r) => r.nodePssMedian) / 2 ** 20,
      steadyNodePssMaxMiB: m(steady, (r) => r.nodePssMax) / 2 ** 20,
      perSegmentCpuSecPerGiB: pairOf(rec, steady, (r, st) =>
        r.bytesUploaded > 0 ? (((r.nodePct - st.nodePct) / 100) * r.seconds) / (r.bytesUploaded / 2 ** 30) : NaN,
      ),
    };
  });
}

// After the soak: what is left in TEMP_DIR, what the bucket holds, every camera's footage accounted
// for (accounting.ts), the recorder's memory over its last uninterrupted run, and the verdict.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { objectKey, startFromFileName } from '../../src/camera/segment-name.ts';
import type { LogLine } from '../../test/support/recorder-process.ts';
import type { SoakConfig } from '../soak.ts';
import { account, type CameraAccount, type Tolerances } from './accounting.ts';
import type { Ctx } from './context.ts';
import type { Fault } from './faults.ts';
import type { Interval } from './intervals.ts';
import { isLog, logTime, type RecorderRun } from './recorder.ts';
import { deepCheck } from './objects.ts';
import { CAMERA, head, listAll, pool } from './servers.ts';
import { median, MiB, p95 } from './stats.ts';
import type { StorePauseRecord } from './store-pause.ts';

export interface SoakRecord {
  seed: number;
  faults: Fault[];
  ids: string[];
  bucket: string;
  tempDir: string;
  /** every recorder process of the soak, in order; metrics: its last /metrics scrape (kept lines) */
  runs: { run: RecorderRun; startedAt: number; metrics: string[] }[];
  cameraDowns: { camera: string; killAt: number; backAt: number }[];
  recorderKills: { killAt: number; run: number; how: 'tree' | 'node' }[];
  storePauses: StorePauseRecord[];
  rss: { t: number; run: number; rss: number }[];
  errors: string[];
  t0?: number;
  faultsEnd?: number;
  drainedAt?: number;
  stopAt?: number;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

const DROPPED = 'segment dropped before upload: footage lost';
const QUARANTINED = 'segment quarantined, not uploaded';

export interface Distribution {
  n: number;
  median: number;
  p95: number;
  max: number;
}
const dist = (v: number[]): Distribution => ({ n: v.length, median: median(v), p95: p95(v), max: v.length ? Math.max(...v) : NaN });

export interface SoakResult {
  config: SoakConfig;
  seed: number;
  faults: Fault[];
  tolerances: Tolerances;
  recorderRuns: number;
  wallSec: number;
  cameras: (Omit<CameraAccount, 'unaccounted'> & { unaccounted: { from: string; to: string; sec: number; context: string[] }[] })[];
  totals: { expectedSec: number; coveredSec: number; uncoveredSec: number; unaccountedSec: number; explainedSec: Record<string, number>; overlapSec: number };
  reconnect: Distribution;
  restartGap: Distribution;
  /** recorder started again → "stream connected", per camera: the product's restart time without the harness's pause */
  startToConnected: Distribution;
  lostBeforeKill: Distribution;
  /** camera_recording_gap_seconds_total summed over the runs' last scrapes, when exposed */
  gapCounter: Record<string, Record<string, number>> | undefined;
  counters: Record<string, number>;
  lost: { camera: string; file: string; why: string; sec: number }[];
  bucket: {
    objects: number;
    missingUploaded: string[];
    unstoredFinished: string[];
    /** tiny objects, downloaded and counted: those without a video frame do not count as stored footage */
    suspicious: { key: string; size: number; durationSec: number; videoPackets: number }[];
    /** consecutive objects of a camera overlapping by more than the jitter tolerance */
    overlaps: { key: string; previous: string; sec: number }[];
  };
  tempDirLeft: { file: string; bytes: number }[];
  exit: SoakRecord['exit'];
  drainSec: number;
  rss: {
    samples: number;
    medianMiB: number;
    maxMiB: number;
    afterRestartMiB: number[];
    stretchSec: number;
    midMiB: number;
    endMiB: number;
    growthPct: number;
    slopeMiBPerHour: number;
    lastRun: [number, number][];
  };
  errorLines: { run: number; camera?: string; msg: string; file?: string }[];
  harnessErrors: string[];
  pass: boolean;
  reasons: string[];
}

/** Every file under `dir` (directories left empty are fine). */
function filesUnder(dir: string): { file: string; bytes: number }[] {
  const out: { file: string; bytes: number }[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    const st = statSync(p, { throwIfNoEntry: false });
    if (st?.isDirectory()) out.push(...filesUnder(p));
    else if (st) out.push({ file: p, bytes: st.size });
  }
  return out;
}

/** The stored objects with their [start, end] metadata, by camera. */
async function storedSegments(
  ctx: Ctx,
  bucket: string,
): Promise<{ key: string; camera: string; start: number; end: number; size: number; durationSec: number }[]> {
  const keys = await listAll(ctx.store.client, bucket);
  const out: { key: string; camera: string; start: number; end: number; size: number; durationSec: number }[] = [];
  await pool(keys, 8, async (key) => {
    const h = await head(ctx.store.client, bucket, key);
    if (!h) return;
    const m = h.metadata;
    out.push({
      key,
      camera: m.camera ?? key.split('/')[0] ?? '',
      start: Date.parse(m.start ?? ''),
      end: Date.parse(m.end ?? ''),
      size: h.size,
      durationSec: Number(m.duration),
    });
  });
  return out;
}

/** The footage of a dropped, quarantined or left file: from its name (or its "segment finished" line) for its listed duration. */
function lostInterval(logs: LogLine[], camera: string, file: string, before: number, segmentSeconds: number): Interval {
  const finished = logs.filter((l) => isLog('segment finished', camera)(l) && l.file === file && logTime(l) <= before).at(-1);
  const durMs = Number(finished?.durationSec ?? segmentSeconds) * 1000;
  const start = startFromFileName(file) ?? (finished ? logTime(finished) : before) - durMs;
  return { start: start - 500, end: start + durMs + 500 };
}

const iso = (t: number): string => new Date(t).toISOString().slice(11, 23);

export async function judgeSoak(ctx: Ctx, cfg: SoakConfig, rec: SoakRecord): Promise<SoakResult> {
  const stopAt = rec.stopAt ?? Date.now();
  const tempDirLeft = filesUnder(rec.tempDir);
  const stored = await storedSegments(ctx, rec.bucket);
  // a header-only object (ffmpeg killed right after it opened the file) claims a duration but holds no frame
  const tiny = stored.filter((x) => x.size < 16_384 || !(x.durationSec > 0.2) || !(x.end > x.start));
  const probed = new Map(
    (
      await deepCheck(
        ctx.store.client,
        rec.bucket,
        tiny.map((x) => x.key),
      ).catch(() => [])
    ).map((p) => [p.key, p.videoPackets]),
  );
  const suspicious = tiny.map((x) => ({ key: x.key, size: x.size, durationSec: x.durationSec, videoPackets: probed.get(x.key) ?? NaN }));
  const frameless = new Set(suspicious.filter((x) => !(x.videoPackets > 0)).map((x) => x.key));
  const footage = stored.filter((x) => !frameless.has(x.key));
  const storedKeys = new Set(stored.map((s) => s.key));
  const logsOf = rec.runs.map((r) => r.run.proc.logs);
  const allLogs = logsOf.flat();

  const tol: Tolerances = {
    jitterMs: 500,
    recorderKillBeforeMs: CAMERA.gopSec * 1000 + 500,
    afterConnectMs: CAMERA.gopSec * 1000 + 500,
    cameraKillBeforeMs: 1000,
    reconnectCapMs: cfg.reconnectCapSec * 1000,
    endMs: 1000,
  };
  const lostLines = allLogs.filter((l) => l.msg === DROPPED || l.msg === QUARANTINED);
  // segments (not quarantine, clips, events) still in a camera folder after the last stop
  const leftSegments = tempDirLeft.flatMap((f) => {
    const [camera, name, ...rest] = relative(rec.tempDir, f.file).split(sep);
    return camera && name && rest.length === 0 && !camera.startsWith('.') && name.endsWith('.mp4') ? [{ camera, name }] : [];
  });
  const accounts = rec.ids.map((camera) => {
    const firstConnected = (logsOf[0] ?? []).find(isLog('stream connected', camera));
    const window = { start: firstConnected ? logTime(firstConnected) : (rec.t0 ?? stopAt), end: stopAt };
    const recorderKills = rec.recorderKills.map((k) => {
      // the next run may itself be killed before this camera connected: the first connection in any later run
      const next = logsOf
        .slice(k.run + 1)
        .flat()
        .find((l) => isLog('stream connected', camera)(l) && logTime(l) >= k.killAt);
      return { killAt: k.killAt, connectedAt: next ? logTime(next) : undefined };
    });
    const lost = [
      ...lostLines
        .filter((l) => l.camera === camera)
        .map((l) => ({
          ...lostInterval(allLogs, camera, String(l.file), logTime(l), cfg.segmentSeconds),
          why: l.msg === DROPPED ? ('dropped' as const) : ('quarantined' as const),
          file: String(l.file),
        })),
      ...leftSegments
        .filter((f) => f.camera === camera)
        .map((f) => ({ ...lostInterval(allLogs, camera, f.name, stopAt + 60_000, cfg.segmentSeconds), why: 'leftOnDisk' as const, file: f.name })),
    ];
    const a = account(
      {
        camera,
        window,
        cameraDown: rec.cameraDowns.filter((d) => d.camera === camera),
        recorderKills,
        segments: footage.filter((x) => x.camera === camera),
        lost,
      },
      tol,
    );
    const unaccounted = a.unaccounted.map((u) => ({
      from: iso(u.start),
      to: iso(u.end),
      sec: (u.end - u.start) / 1000,
      context: allLogs
        .filter((l) => (l.camera === camera || l.camera === undefined) && logTime(l) >= u.start - 15_000 && logTime(l) <= u.end + 15_000)
        .slice(0, 16)
        .map((l) => `${iso(logTime(l))} ${l.level} ${l.camera ?? ''} ${l.msg}${l.file ? ` ${String(l.file)}` : ''}${l.key ? ` ${String(l.key)}` : ''}`),
    }));
    return { ...a, unaccounted };
  });

  const sumOf = (f: (a: CameraAccount | (typeof accounts)[number]) => number): number => accounts.reduce((s, a) => s + f(a), 0);
  const explainedSec: Record<string, number> = {};
  for (const a of accounts) for (const [k, v] of Object.entries(a.explainedSec)) explainedSec[k] = (explainedSec[k] ?? 0) + v;

  // counters: each run's last scrape, summed over runs (a SIGKILLed run loses at most its last few seconds)
  const counters: Record<string, number> = {};
  let gapCounter: Record<string, Record<string, number>> | undefined;
  for (const r of rec.runs) {
    for (const line of r.metrics) {
      const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
      if (!m) continue;
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      const v = Number(m[3]);
      counters[m[1] as string] = (counters[m[1] as string] ?? 0) + v;
      if (m[1] === 'camera_recording_gap_seconds_total') {
        gapCounter ??= {};
        gapCounter[labels.camera_id ?? '?'] ??= {};
        const cam = gapCounter[labels.camera_id ?? '?']!;
        cam[labels.reason ?? '?'] = (cam[labels.reason ?? '?'] ?? 0) + v;
      }
    }
  }

  const uploaded = new Set(allLogs.filter(isLog('segment uploaded')).map((l) => String(l.key)));
  const lostFiles = new Set([...lostLines.map((l) => `${l.camera}/${String(l.file)}`), ...leftSegments.map((f) => `${f.camera}/${f.name}`)]);
  const unstoredFinished = [
    ...new Set(
      allLogs.filter(isLog('segment finished')).flatMap((l) => {
        const start = startFromFileName(String(l.file));
        if (start === undefined || lostFiles.has(`${l.camera}/${String(l.file)}`)) return [];
        const key = objectKey(String(l.camera), start);
        return storedKeys.has(key) ? [] : [key];
      }),
    ),
  ];
  const missingUploaded = [...uploaded].filter((k) => !storedKeys.has(k));
  const overlaps = rec.ids.flatMap((camera) => {
    const list = footage.filter((x) => x.camera === camera).sort((a, b) => a.start - b.start);
    return list.slice(1).flatMap((x, i) => {
      const prev = list[i] as (typeof list)[number];
      const sec = (prev.end - x.start) / 1000;
      return sec > tol.jitterMs / 1000 ? [{ key: x.key, previous: prev.key, sec }] : [];
    });
  });

  const rss = memoryOfLastRun(rec);
  const reasons: string[] = [];
  const unaccountedSec = sumOf((a) => a.unaccountedSec);
  if (unaccountedSec > 0) reasons.push(`${unaccountedSec.toFixed(1)} s of footage unaccounted`);
  if (!(rss.growthPct < 5)) reasons.push(`RSS grew ${rss.growthPct.toFixed(1)} % over the second half of the last run`);
  if (tempDirLeft.length > 0) reasons.push(`${tempDirLeft.length} files left in TEMP_DIR`);
  if (missingUploaded.length + unstoredFinished.length > 0)
    reasons.push(`bucket incomplete: ${missingUploaded.length} uploaded and ${unstoredFinished.length} finished segments missing`);
  if (rec.exit?.code !== 0) reasons.push(`recorder exit ${JSON.stringify(rec.exit)} on SIGTERM`);
  if (rec.drainedAt === undefined) reasons.push('backlog did not drain');

  return {
    config: cfg,
    seed: rec.seed,
    faults: rec.faults,
    tolerances: tol,
    recorderRuns: rec.runs.length,
    wallSec: ((rec.stopAt ?? Date.now()) - (rec.t0 ?? Date.now())) / 1000,
    cameras: accounts,
    totals: {
      expectedSec: sumOf((a) => a.expectedSec),
      coveredSec: sumOf((a) => a.coveredSec),
      uncoveredSec: sumOf((a) => a.uncoveredSec),
      unaccountedSec,
      explainedSec,
      overlapSec: sumOf((a) => a.overlapSec),
    },
    reconnect: dist(accounts.flatMap((a) => a.reconnectSec)),
    restartGap: dist(accounts.flatMap((a) => a.restartGapSec)),
    startToConnected: dist(
      rec.recorderKills.flatMap((k) => {
        const next = rec.runs[k.run + 1];
        if (!next) return [];
        return rec.ids.flatMap((camera) => {
          const c = next.run.proc.logs.find(isLog('stream connected', camera));
          return c ? [(logTime(c) - next.startedAt) / 1000] : [];
        });
      }),
    ),
    lostBeforeKill: dist(accounts.flatMap((a) => a.lostBeforeKillSec)),
    gapCounter,
    counters,
    lost: lostLines.map((l) => {
      const i = lostInterval(allLogs, String(l.camera), String(l.file), logTime(l), cfg.segmentSeconds);
      return {
        camera: String(l.camera),
        file: String(l.file),
        why: l.msg === DROPPED ? `dropped (${String(l.reason)})` : `quarantined (${String(l.reason)})`,
        sec: (i.end - i.start - 1000) / 1000,
      };
    }),
    bucket: { objects: stored.length, missingUploaded, unstoredFinished, suspicious, overlaps },
    tempDirLeft,
    exit: rec.exit,
    drainSec: rec.drainedAt !== undefined && rec.faultsEnd !== undefined ? (rec.drainedAt - rec.faultsEnd) / 1000 : NaN,
    rss,
    errorLines: rec.runs.flatMap((r, run) =>
      r.run.proc.logs
        .filter((l) => l.level === 'error' || l.level === 'fatal')
        .map((l) => ({ run: run + 1, camera: l.camera, msg: l.msg, ...(l.file ? { file: String(l.file) } : {}) })),
    ),
    harnessErrors: rec.errors,
    pass: reasons.length === 0,
    reasons,
  };
}

/**
 * RSS of the Node.js process: overall, ~10 s after each (re)start, and the growth over the second
 * half of the last run (no recorder SIGKILL in it by the schedule), from the medians of the first
 * and last tenth (≥ 30 s) of that half, plus the least-squares slope over the half.
 */
function memoryOfLastRun(rec: SoakRecord): SoakResult['rss'] {
  const last = rec.runs.length - 1;
  const all = rec.rss.map((s) => s.rss);
  const afterRestartMiB = rec.runs.map((r, i) => rec.rss.find((s) => s.run === i && s.t >= r.startedAt + 10_000)?.rss ?? NaN).map((b) => b / MiB);
  const startedAt = rec.runs[last]?.startedAt ?? 0;
  const from = startedAt + 20_000; // start-up allocations (config, first connections) are not growth
  const to = rec.faultsEnd ?? Date.now();
  const mid = (from + to) / 2;
  const w = Math.max(30_000, (to - mid) / 10);
  const inRange = (a: number, b: number): number[] => rec.rss.filter((s) => s.run === last && s.t >= a && s.t <= b).map((s) => s.rss);
  const midMiB = median(inRange(mid, mid + w)) / MiB;
  const endMiB = median(inRange(to - w, to)) / MiB;
  const half = rec.rss.filter((s) => s.run === last && s.t >= mid && s.t <= to);
  const n = half.length;
  const mx = half.reduce((s, x) => s + x.t, 0) / n;
  const my = half.reduce((s, x) => s + x.rss, 0) / n;
  const slope = half.reduce((s, x) => s + (x.t - mx) * (x.rss - my), 0) / half.reduce((s, x) => s + (x.t - mx) ** 2, 0);
  return {
    samples: all.length,
    medianMiB: median(all) / MiB,
    maxMiB: Math.max(...all) / MiB,
    afterRestartMiB,
    stretchSec: (to - startedAt) / 1000,
    midMiB,
    endMiB,
    growthPct: ((endMiB - midMiB) / midMiB) * 100,
    slopeMiBPerHour: (slope * 3_600_000) / MiB,
    lastRun: rec.rss.filter((x) => x.run === last).map((x) => [Math.round((x.t - startedAt) / 1000), Math.round((x.rss / MiB) * 10) / 10]),
  };
}

// Footage accounting of the soak benchmark, per camera: what the camera sent while the recorder could
// record (expected), what the bucket holds (covered, from the objects' start/end metadata), and for
// every uncovered second the fault that explains it. What no fault explains is "unaccounted".
import { intersect, subtract, total, union, overlap, type Interval } from './intervals.ts';

export interface CameraFacts {
  camera: string;
  /** first "stream connected" of the camera → SIGTERM of the last recorder run */
  window: Interval;
  /** the camera's RTSP server killed → accepting connections again */
  cameraDown: { killAt: number; backAt: number }[];
  /** SIGKILL of the recorder → this camera's next "stream connected" (undefined: none before the end) */
  recorderKills: { killAt: number; connectedAt: number | undefined }[];
  /** the stored objects' [start, end] */
  segments: Interval[];
  /** segments the recorder said it dropped or quarantined, or left in TEMP_DIR at its last stop (it uploads them at its next start), their footage as [start, end] */
  lost: (Interval & { why: 'dropped' | 'quarantined' | 'leftOnDisk'; file: string })[];
}

export interface Tolerances {
  /** an uncovered piece this short anywhere is the precision of the stored bounds (ms) */
  jitterMs: number;
  /** footage just before a recorder SIGKILL that may be lost with the fragment ffmpeg had not written yet (ms) */
  recorderKillBeforeMs: number;
  /** "stream connected" is logged at ffmpeg's first progress report, shortly after its first frame (ms) */
  afterConnectMs: number;
  /** footage just before a camera kill still in flight when the server died (ms) */
  cameraKillBeforeMs: number;
  /** camera back → first frame recorded: the allowance per camera restart (ms) */
  reconnectCapMs: number;
  /** the last frames before SIGTERM (ms) */
  endMs: number;
}

export type Cause = 'dropped' | 'quarantined' | 'leftOnDisk' | 'recorderRestart' | 'cameraReconnect' | 'shutdown' | 'jitter';

export interface CameraAccount {
  camera: string;
  expectedSec: number;
  coveredSec: number;
  /** stored footage outside the expected time (e.g. recorded while a camera server was being killed) */
  coveredOutsideSec: number;
  /** time covered by more than one stored object */
  overlapSec: number;
  uncoveredSec: number;
  explainedSec: Record<Cause, number>;
  unaccounted: Interval[];
  unaccountedSec: number;
  /** per camera restart: accepting connections → first stored frame (s) */
  reconnectSec: number[];
  /** per recorder SIGKILL: the kill → first stored frame of this camera after it (s) */
  restartGapSec: number[];
  /** per recorder SIGKILL: expected footage just before the kill that is not stored (s; the unwritten fragment) */
  lostBeforeKillSec: number[];
}

const firstStartAfter = (covered: Interval[], t: number): number | undefined => covered.find((c) => c.end > t)?.start;

export function account(f: CameraFacts, tol: Tolerances): CameraAccount {
  const downs = f.cameraDown.map((d) => ({ start: d.killAt, end: d.backAt }));
  const expected = subtract([f.window], downs);
  const covered = union(f.segments);
  const uncovered = subtract(expected, covered);
  let remaining = uncovered;
  const uncoveredSec = total(remaining) / 1000;
  const explainedSec = { dropped: 0, quarantined: 0, leftOnDisk: 0, recorderRestart: 0, cameraReconnect: 0, shutdown: 0, jitter: 0 } as Record<Cause, number>;
  const explain = (cause: Cause, allowance: Interval[]): void => {
    explainedSec[cause] += total(intersect(remaining, allowance)) / 1000;
    remaining = subtract(remaining, allowance);
  };

  explain(
    'dropped',
    f.lost.filter((l) => l.why === 'dropped'),
  );
  explain(
    'quarantined',
    f.lost.filter((l) => l.why === 'quarantined'),
  );
  explain(
    'leftOnDisk',
    f.lost.filter((l) => l.why === 'leftOnDisk'),
  );

  const restartGapSec: number[] = [];
  const lostBeforeKillSec: number[] = [];
  explain(
    'recorderRestart',
    f.recorderKills.map((k) => {
      const next = firstStartAfter(covered, k.killAt);
      if (next !== undefined) restartGapSec.push(Math.max(0, next - k.killAt) / 1000);
      // the expected footage right before the kill that is not stored (0 when the last frame before it is)
      const gapAtKill = uncovered.find((u) => u.start < k.killAt && u.end >= k.killAt - 1);
      lostBeforeKillSec.push(gapAtKill ? (k.killAt - gapAtKill.start) / 1000 : 0);
      return { start: k.killAt - tol.recorderKillBeforeMs, end: (k.connectedAt ?? f.window.end) + tol.afterConnectMs };
    }),
  );

  const reconnectSec: number[] = [];
  explain(
    'cameraReconnect',
    f.cameraDown.flatMap((d) => {
      const next = firstStartAfter(covered, d.backAt);
      const gap = next === undefined ? f.window.end - d.backAt : Math.max(0, next - d.backAt);
      if (next !== undefined) reconnectSec.push(gap / 1000);
      return [
        { start: d.killAt - tol.cameraKillBeforeMs, end: d.killAt },
        { start: d.backAt, end: d.backAt + Math.min(gap, tol.reconnectCapMs) },
      ];
    }),
  );

  explain('shutdown', [{ start: f.window.end - tol.endMs, end: f.window.end }]);
  explain(
    'jitter',
    remaining.filter((r) => r.end - r.start <= tol.jitterMs),
  );

  return {
    camera: f.camera,
    expectedSec: total(expected) / 1000,
    coveredSec: total(intersect(covered, expected)) / 1000,
    coveredOutsideSec: total(subtract(intersect(covered, [f.window]), expected)) / 1000,
    overlapSec: overlap(f.segments) / 1000,
    uncoveredSec,
    explainedSec,
    unaccounted: remaining,
    unaccountedSec: total(remaining) / 1000,
    reconnectSec,
    restartGapSec,
    lostBeforeKillSec,
  };
}

// A segment ffmpeg has finished writing, on its way to the store, and how its real bounds are told
// from its name, its file time and its media duration.

export interface FinishedSegment {
  cameraId: string;
  /** Absolute path of the local file. */
  path: string;
  /** UTC start time (ms), from the file name. */
  startMs: number;
  /** Media duration from ffmpeg's segment list; undefined for a segment cut short by a crash. */
  listedDurationSec: number | undefined;
}

/**
 * How far a segment's real start (file mtime − duration) may lie from the whole second in its name,
 * as finding and the event worker allow for it. After: stored starts lie at most a second after
 * the name since preciseBounds holds them to it (OPENED_WITHIN_MS); the wider margin still covers
 * segments stored before. Before: the first segment of an ffmpeg run is named when ffmpeg opens
 * it, which is after it probed the input (up to its 5 s analyzeduration, plus the RTSP handshake),
 * and it holds the frames read while probing — 1.5 s and more before its name after a camera
 * restart. While ffmpeg works off those frames it runs behind the clock, so the next segment of the
 * run can be named seconds late too: the window is the same for every segment.
 */
export const START_AFTER_NAME_MS = 2500;
export const START_BEFORE_NAME_MS = 7000;

/**
 * ffmpeg names a segment after the wall-clock second in which it opens the file, and it opens the
 * file to write the segment's first frame: nothing in a segment was captured a second or more after
 * its name. A later mtime − duration means the writer was behind the clock when it closed the file
 * (the camera or ffmpeg starved of CPU, catching up in the next segment: 2.2 s seen), and both
 * bounds are late by that lag; the newest segment after a restart then left a false gap before it.
 * Such a segment starts in the middle of its name's second: the file was opened somewhere in it
 * (when the previous segment closed), so that is at most half a second off, whatever the lag.
 */
const OPENED_WITHIN_MS = 1000;

/**
 * The segment's media duration: the first of ffprobe's file duration, its video stream's and the
 * segment list's that fits in the wall-clock time the file was open (from its name, less the
 * frames a first segment holds from before it, to its mtime). A first segment of a run can carry
 * timestamps that jump when ffmpeg syncs the streams to the camera's clock (RTCP): ffprobe then
 * reads hours. When none fits, the file times give it. An mtime before the name is not trusted.
 */
export function plausibleDuration(
  durations: (number | undefined)[],
  nameStartMs: number,
  mtimeMs: number,
): { durationSec: number; from: 'media' | 'file times'; rejected: number[] } {
  const known = durations.filter((d): d is number => d !== undefined && d > 0);
  if (mtimeMs < nameStartMs) return { durationSec: known[0] ?? 0, from: 'media', rejected: [] };
  const maxSec = (mtimeMs - nameStartMs + START_BEFORE_NAME_MS) / 1000 + 1; // + 1 s: file times are not exact
  const fits = known.find((d) => d <= maxSec);
  const rejected = known.filter((d) => d > maxSec);
  return fits !== undefined
    ? { durationSec: fits, from: 'media', rejected: fits === known[0] ? [] : rejected }
    : { durationSec: (mtimeMs - nameStartMs) / 1000, from: 'file times', rejected };
}

/**
 * Wall-clock bounds of a segment, to well under a second. The file name has whole seconds only;
 * ffmpeg writes each fragment as it arrives, so the file's mtime is when its last frame came in.
 * mtime − duration is used when it agrees with the name (further back for the first segment of a
 * run, or one not known not to be: see START_BEFORE_NAME_MS; not past the name's second: see
 * OPENED_WITHIN_MS, else written behind the clock: the middle of the name's second); otherwise
 * (file copied or touched) the name.
 */
export function preciseBounds(nameStartMs: number, mtimeMs: number, durationSec: number): { startMs: number; endMs: number } {
  const durationMs = Math.round(durationSec * 1000);
  const fromMtime = Math.round(mtimeMs) - durationMs;
  const trusted = fromMtime >= nameStartMs - START_BEFORE_NAME_MS && fromMtime < nameStartMs + OPENED_WITHIN_MS;
  const behind = fromMtime >= nameStartMs + OPENED_WITHIN_MS && fromMtime < nameStartMs + START_BEFORE_NAME_MS;
  const startMs = trusted ? fromMtime : behind ? nameStartMs + OPENED_WITHIN_MS / 2 : nameStartMs;
  return { startMs, endMs: startMs + durationMs };
}

// A segment ffmpeg has finished writing, on its way to the store.

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
 * How far a segment's real start (file mtime − duration) may lie from the whole second in its name.
 * After: a cut waits for the first key frame after the clock boundary (one GOP) and the name is
 * taken when the file opens. Before: the first segment of an ffmpeg run is named when ffmpeg opens
 * it, which is after it probed the input (up to its 5 s analyzeduration, plus the RTSP handshake),
 * and it holds the frames read while probing — 1.5 s and more before its name after a camera
 * restart. While ffmpeg works off those frames it runs behind the clock, so the next segment of the
 * run can be named seconds late too: the window is the same for every segment.
 */
export const START_AFTER_NAME_MS = 2500;
export const START_BEFORE_NAME_MS = 7000;


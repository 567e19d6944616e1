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

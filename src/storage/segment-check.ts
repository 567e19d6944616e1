// The check of a finished segment before it is stored: its size, its digests (sha256 and the
// store's MD5s, one read), its MP4 structure when ffmpeg listed it, and ffprobe's reading of its
// duration (which also decides whether it plays). A segment that must not be stored throws
// SegmentError (quarantine.ts); anything else thrown is not the segment's fault and is retried.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { SegmentError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { probe, ProbeError } from '../media/ffprobe.ts';
import { checkFragmentedMp4 } from '../media/mp4-structure.ts';
import type { FinishedSegment } from '../segment.ts';
import { fileDigests, type FileDigests } from './hash.ts';

/** What the check learned of a segment: its digests, its duration readings, when it was closed. */
export interface CheckedSegment {
  digests: FileDigests;
  /** ffprobe's file and video stream durations, then the segment list's (see plausibleDuration). */
  durations: (number | undefined)[];
  /** The file's mtime: when its last frame was written. */
  endMs: number;
}

export interface SegmentCheckDeps {
  /** The store's part size: the digests are of those parts. */
  partSize: number;
  ffprobePath: string;
  log: Logger;
  signal: AbortSignal;
  /** The file's size, as soon as it is known (the backlog counts it). */
  onSize: (size: number) => void;
}

export async function checkSegment(segment: FinishedSegment, deps: SegmentCheckDeps): Promise<CheckedSegment> {
  const { path, listedDurationSec } = segment;
  const info = await stat(path);
  const size = info.size;
  deps.onSize(size);
  if (size === 0) throw new SegmentError('segment is empty', 'empty');
  const digests = fileDigests(path, deps.partSize, deps.signal);
  digests.catch(() => undefined); // awaited below; a readability failure may come first
  const structure = listedDurationSec ? await checkFragmentedMp4(path) : undefined;
  if (structure && !structure.ok)
    deps.log.warn(
      { camera: segment.cameraId, file: basename(path), why: structure.why },
      'listed segment has an unexpected structure; checking it with ffprobe',
    );
  // ffprobe's duration, not the list's: the list's first line of a run can be off by the stream's
  // start offset, and bounds from it overlapped the next segment (clips picked a third segment)
  const durations = await probeDurations(path, deps);
  const read = await digests;
  // a finished segment does not change: if it did, its digests are not those of what is uploaded
  if (read.size !== size) throw new Error(`segment changed while it was read: ${size} bytes at stat, ${read.size} read`);
  return { digests: read, durations: [...durations, listedDurationSec], endMs: info.mtimeMs };
}

/** The file's duration and its video stream's, best first (see plausibleDuration). */
async function probeDurations(path: string, deps: SegmentCheckDeps): Promise<(number | undefined)[]> {
  try {
    const result = await probe(path, { ffprobePath: deps.ffprobePath, timeoutMs: 60_000, signal: deps.signal });
    const video = result.streams.find((s) => s.type === 'video');
    if (!video) throw new SegmentError('segment has no video stream', 'unreadable');
    return [result.durationSec, video.durationSec];
  } catch (err) {
    if (err instanceof SegmentError) throw err;
    if (err instanceof ProbeError && err.segmentFault) throw new SegmentError(`segment is unreadable: ${err.message}`, 'unreadable', { cause: err });
    throw err;
  }
}

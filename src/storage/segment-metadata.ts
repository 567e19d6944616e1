// What is stored with a segment: its camera's labels, the camera, its exact wall-clock bounds and
// duration (segment.ts: the first duration reading that fits the time it was recorded), its size
// and sha256. Finding reads the bounds back (find-segments.ts).
import { basename } from 'node:path';
import { labelMetadata } from '../config/labels.ts';
import type { Logger } from '../logger.ts';
import { plausibleDuration, preciseBounds, type FinishedSegment } from '../segment.ts';
import type { CheckedSegment } from './segment-check.ts';

export function segmentMetadata(
  segment: FinishedSegment,
  checked: CheckedSegment,
  size: number,
  labels: Record<string, string>,
  log: Logger,
): { metadata: Record<string, string>; durationSec: number } {
  const duration = plausibleDuration(checked.durations, segment.startMs, checked.endMs);
  if (duration.rejected.length > 0)
    log.warn(
      { camera: segment.cameraId, file: basename(segment.path), claimed: duration.rejected, durationSec: duration.durationSec, from: duration.from },
      'segment timestamps claim more media than the time it was recorded; its duration is the first reading that fits, else the file times',
    );
  const durationSec = duration.durationSec;
  const { startMs, endMs } = preciseBounds(segment.startMs, checked.endMs, durationSec);
  const metadata = {
    ...labelMetadata(labels),
    camera: segment.cameraId,
    start: new Date(startMs).toISOString(),
    end: new Date(endMs).toISOString(),
    duration: durationSec.toFixed(3),
    size: String(size),
    sha256: checked.digests.sha256,
  };
  return { metadata, durationSec };
}

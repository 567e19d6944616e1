// Where a segment that must not be stored goes (empty, no video, unreadable): moved aside under
// quarantine_dir/<camera>/, never uploaded and never silently deleted; the backlog guard prunes it.
import { mkdir, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SegmentError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { FinishedSegment } from '../segment.ts';

/** Moves the segment to quarantine: logged at error (its footage is not stored) and counted. Returns where it went (undefined: left in place). */
export async function quarantine(
  segment: FinishedSegment,
  err: SegmentError,
  deps: { quarantineDir: string; log: Logger; metrics: Metrics },
): Promise<string | undefined> {
  const dir = join(deps.quarantineDir, segment.cameraId);
  const target = join(dir, basename(segment.path));
  try {
    await mkdir(dir, { recursive: true });
    await rename(segment.path, target);
  } catch (moveErr) {
    deps.log.error({ camera: segment.cameraId, file: segment.path, err: moveErr }, 'cannot move segment to quarantine; left in place');
    return undefined;
  }
  deps.metrics.segmentsQuarantined.inc({ camera_id: segment.cameraId, reason: err.problem });
  deps.log.error(
    { camera: segment.cameraId, file: basename(segment.path), quarantined: target, reason: err.problem, err: err.message },
    'segment quarantined, not uploaded',
  );
  return target;
}

// Where a snapshot goes in the bucket and what is stored with it. Keys sort by time within a camera's
// day, like segment and event keys, so `aws s3 ls` of `snapshots/{camera}/{YYYYMMDD}/` reads as a log.
import { labelMetadata } from '../config/labels.ts';
import type { SnapshotReason } from './archive-options.ts';

export const SNAPSHOTS_PREFIX = 'snapshots/';

/**
 * `snapshots/{camera}/{YYYYMMDD}/{HHMMSS}_{reason}.jpg` in UTC from the capture time. `copy` 2, 3, …
 * names another snapshot of the same second and reason (`{HHMMSS}_{reason}_2.jpg`): one never
 * replaces another.
 */
export function snapshotKey(cameraId: string, capturedAtMs: number, reason: SnapshotReason, copy = 1): string {
  const iso = new Date(capturedAtMs).toISOString();
  const day = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 19).replaceAll(':', '');
  return `${SNAPSHOTS_PREFIX}${cameraId}/${day}/${time}_${reason}${copy > 1 ? `_${copy}` : ''}.jpg`;
}

/** Object metadata: the camera, why it was taken, when (ISO, to the millisecond), and the camera's labels as segments carry them. */
export function snapshotMetadata(cameraId: string, reason: SnapshotReason, capturedAtMs: number, labels: Record<string, string>): Record<string, string> {
  return { ...labelMetadata(labels), camera: cameraId, reason, 'captured-at': new Date(capturedAtMs).toISOString() };
}

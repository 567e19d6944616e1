// What the snapshot archive counts: snapshots stored, and those it let go and why. Kept beside the
// archive (not in metrics.ts) so the archive can be tested with a plain recording fake.
import { Counter, type Registry } from 'prom-client';
import { SNAPSHOT_REASONS, type SnapshotReason } from './archive-options.ts';

/**
 * Why a snapshot was not stored. `mode`: the camera's mode does not keep this reason. `rate_limited`:
 * one of the same camera and reason was taken less than min_interval ago. `busy`: the uploads
 * allowed in flight were all under way. `failed`: the store refused or did not answer.
 */
export const SKIP_REASONS = ['mode', 'rate_limited', 'busy', 'failed'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface ArchiveMetrics {
  stored(cameraId: string, reason: SnapshotReason): void;
  skipped(cameraId: string, reason: SnapshotReason, why: SkipReason): void;
}

/**
 * camera_snapshots_stored_total{camera_id,reason} and camera_snapshots_skipped_total{camera_id,reason,why}
 * on `registry`. `forget` removes a camera's series when the camera goes.
 */
export function createArchiveMetrics(registry: Registry): ArchiveMetrics & { forget(cameraId: string): void } {
  const stored = new Counter({
    name: 'camera_snapshots_stored_total',
    help: 'Snapshots written to the bucket (snapshots/{camera}/…), by why they were taken.',
    labelNames: ['camera_id', 'reason'] as const,
    registers: [registry],
  });
  const skipped = new Counter({
    name: 'camera_snapshots_skipped_total',
    help: 'Snapshots not written, by why they were taken and why not: mode, rate_limited, busy (uploads in flight at the bound), failed (the store refused or did not answer). No footage is lost by these.',
    labelNames: ['camera_id', 'reason', 'why'] as const,
    registers: [registry],
  });
  return {
    stored: (camera_id, reason) => stored.inc({ camera_id, reason }),
    skipped: (camera_id, reason, why) => skipped.inc({ camera_id, reason, why }),
    forget: (camera_id) => {
      for (const reason of SNAPSHOT_REASONS) {
        stored.remove({ camera_id, reason });
        for (const why of SKIP_REASONS) skipped.remove({ camera_id, reason, why });
      }
    },
  };
}

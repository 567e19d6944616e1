// Which analysed frames are worth a snapshot in the bucket: the one with which a health problem
// turned on (not the ones while it lasts, nor the one it turned off with), and the first frame of
// a motion period.
import type { FrameAnalysis } from './analyzer.ts';
import type { SnapshotReason } from './archive-options.ts';

/** The reasons to offer this frame to the SnapshotArchive; `motionWasActive` is the previous frame's `motion.active`. */
export function snapshotReasons(analysis: FrameAnalysis, motionWasActive: boolean): SnapshotReason[] {
  const reasons: SnapshotReason[] = analysis.changed.filter((p) => analysis.health[p].status === 'problem');
  if (analysis.motion.active && !motionWasActive) reasons.push('motion');
  return reasons;
}

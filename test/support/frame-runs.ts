// Feeds real frames through a FrameAnalyzer and reads back when each problem flipped.
import { DEFAULT_ANALYZER_OPTIONS, type AnalyzerOptions } from '../../src/frames/analysis-options.ts';
import { type FrameAnalysis, FrameAnalyzer } from '../../src/frames/analyzer.ts';
import { HEALTH_PROBLEMS } from '../../src/frames/health-options.ts';
import { asKeyFrames } from './lavfi-frames.ts';

export const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);

/** Analyses of the pictures as consecutive key frames from T0. */
export function analyzeRun(pictures: readonly Uint8Array[], options: AnalyzerOptions = DEFAULT_ANALYZER_OPTIONS): FrameAnalysis[] {
  const analyzer = new FrameAnalyzer(options, T0);
  return asKeyFrames(pictures, T0).map((frame) => analyzer.analyze(frame));
}

/** Every health status change as "frame index:problem:status", in order. */
export function healthFlips(analyses: readonly FrameAnalysis[]): string[] {
  return analyses.flatMap((a, i) => a.changed.map((p) => `${i}:${p}:${a.health[p].status}`));
}

/** The frame indexes at which motion was active. */
export function motionFrames(analyses: readonly FrameAnalysis[]): number[] {
  return analyses.flatMap((a, i) => (a.motion.active ? [i] : []));
}

export { HEALTH_PROBLEMS };

// Everything the frame analyzer can be told, with defaults.

import { DEFAULT_NOISE_LEVEL } from './features.ts';
import { DEFAULT_HEALTH_OPTIONS, type HealthOptions } from './health-options.ts';
import type { MotionOptions } from './motion.ts';

export interface AnalyzerOptions {
  readonly health: HealthOptions;
  readonly motion: MotionOptions;
  /** frame-to-frame differences up to this many luma levels are noise (for `frozen`) */
  readonly noiseLevel: number;
  /** a frame later than this after the previous one is not compared with it (the stream was away) */
  readonly maxGapSeconds: number;
}

export const DEFAULT_MOTION_OPTIONS: MotionOptions = {
  // sensor noise and compression on key frames stay within ~10 levels; a person against a wall is 30+
  pixelThreshold: 25,
  // 0.5 % of 320×180 is ~290 pixels, a person at 20 m in a 90° view
  minArea: 0.005,
  maxArea: 0.9,
  mask: [],
  // key frames are sparse: one moving frame starts a period, two still ones end it
  debounce: { onFrames: 1, onSeconds: 0, offFrames: 2, offSeconds: 0 },
};

export const DEFAULT_ANALYZER_OPTIONS: AnalyzerOptions = {
  health: DEFAULT_HEALTH_OPTIONS,
  motion: DEFAULT_MOTION_OPTIONS,
  noiseLevel: DEFAULT_NOISE_LEVEL,
  // three 2 s GOPs missing: compare no further
  maxGapSeconds: 6,
};

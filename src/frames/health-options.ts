// Thresholds of the picture-health detectors, with the defaults and the reasons for them.
// Luma levels are 0..255 full range; limited-range black decodes to about 16.

import type { DebounceOptions } from './debounce.ts';
import type { DetailNormalOptions } from './detail-normal.ts';
import type { SceneReferenceOptions } from './scene-reference.ts';

export const HEALTH_PROBLEMS = ['black', 'frozen', 'covered', 'blurred', 'moved'] as const;
export type HealthProblem = (typeof HEALTH_PROBLEMS)[number];

export interface HealthOptions {
  /** dark and flat: no signal, or the lens covered in the dark */
  readonly black: { readonly maxMean: number; readonly maxSpread: number };
  /** bright enough not to be black, but one colour or featureless: a hand, tape, a bag, spray paint */
  readonly covered: { readonly minDominantShare: number; readonly maxSpread: number };
  /** the picture repeats: almost no pixel beyond noise, and those within noise not even noisy */
  readonly frozen: { readonly maxQuietMeanAbsDiff: number; readonly maxChangedShare: number };
  /** detail below `relative` × the learned normal of this camera, or below `floor` at any time */
  readonly blurred: DetailNormalOptions & { readonly relative: number; readonly floor: number };
  /** the layout differs from the learned reference by more than `minDistance` (1 − correlation) */
  readonly moved: SceneReferenceOptions & { readonly minDistance: number };
  readonly debounce: Readonly<Record<HealthProblem, DebounceOptions>>;
}

/** at one key frame per 2 s: 3 frames ≈ 4–6 s to turn on, 2 clean frames to turn off */
const QUICK: DebounceOptions = { onFrames: 3, onSeconds: 0, offFrames: 2, offSeconds: 0 };

export const DEFAULT_HEALTH_OPTIONS: HealthOptions = {
  // a dark night scene with a few lights has spread well above 12; a dead or capped camera has none
  black: { maxMean: 28, maxSpread: 12 },
  // a real scene rarely has more than ~30 % of its pixels in one 8-level bin; a solid colour has ~100 %
  covered: { minDominantShare: 0.75, maxSpread: 8 },
  // two key frames of a live sensor are decoded independently and never repeat: even a static scene
  // differs by 1–3 levels on average from noise and compression; a stalled encoder repeats to ~0,
  // except for an on-screen clock the camera may still burn in (well under 1 % of the picture)
  frozen: { maxQuietMeanAbsDiff: 0.2, maxChangedShare: 0.01 },
  // a defocused view keeps 0–20 % of its sharp edges (gblur sigma 2–6 on 320×180), with or without
  // sensor noise; a sharp scene has 2–8 % of its pixels on a sharp edge; the floor is ~60 pixels
  blurred: { learnFrames: 15, adaptRate: 0.01, relative: 0.35, floor: 0.001 },
  // the same view scores ~0.1 with things moving in it and after a light change; a turn of a third
  // of the field of view scores > 1; another scene ~0.7–1
  moved: { learnFrames: 30, adaptRate: 0.02, adaptBelow: 0.25, minDistance: 0.5 },
  debounce: {
    black: QUICK,
    covered: QUICK,
    blurred: QUICK,
    // a frozen picture needs a few more repeats to be told from a camera that froze for a moment
    frozen: { onFrames: 4, onSeconds: 0, offFrames: 1, offSeconds: 0 },
    // a turn is lasting: a truck parked in front for a few seconds is not one
    moved: { onFrames: 5, onSeconds: 0, offFrames: 3, offSeconds: 0 },
  },
};

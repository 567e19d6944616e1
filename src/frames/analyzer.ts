// One camera's frame analysis: features once per frame, then each health detector and motion.

import type { AnalyzerOptions } from './analysis-options.ts';
import { Debounce, type ProblemState } from './debounce.ts';
import { DetailNormal } from './detail-normal.ts';
import { type FrameFeatures, frameFeatures } from './features.ts';
import type { GrayFrame } from './frame.ts';
import { HEALTH_PROBLEMS, type HealthProblem } from './health-options.ts';
import { MotionDetector, type MotionSample } from './motion.ts';
import { SceneReference } from './scene-reference.ts';

/** Each problem's verdict on one frame; undefined = this frame says nothing about it (the state holds). */
export type Verdicts = Record<HealthProblem, boolean | undefined>;

export interface FrameAnalysis {
  readonly features: FrameFeatures;
  readonly verdicts: Verdicts;
  readonly health: Readonly<Record<HealthProblem, ProblemState>>;
  /** problems whose status changed on this frame */
  readonly changed: readonly HealthProblem[];
  readonly motion: MotionSample;
  /** the distance from the learned view, once learned (see scene-reference.ts) */
  readonly sceneDistance: number | undefined;
}

export class FrameAnalyzer {
  readonly #options: AnalyzerOptions;
  readonly #states: Record<HealthProblem, Debounce>;
  readonly #detail: DetailNormal;
  readonly #scene: SceneReference;
  readonly motion: MotionDetector;
  #previous: GrayFrame | undefined;

  constructor(options: AnalyzerOptions, startedAt: number) {
    this.#options = options;
    const d = options.health.debounce;
    this.#states = {
      black: new Debounce(d.black, startedAt, 'black'),
      frozen: new Debounce(d.frozen, startedAt, 'frozen'),
      covered: new Debounce(d.covered, startedAt, 'covered'),
      blurred: new Debounce(d.blurred, startedAt, 'blurred'),
      moved: new Debounce(d.moved, startedAt, 'moved'),
    };
    this.#detail = new DetailNormal(options.health.blurred);
    this.#scene = new SceneReference(options.health.moved);
    this.motion = new MotionDetector(options.motion, startedAt);
  }

  get health(): Record<HealthProblem, ProblemState> {
    const out = {} as Record<HealthProblem, ProblemState>;
    for (const p of HEALTH_PROBLEMS) out[p] = this.#states[p].state;
    return out;
  }

  /** The installer turned the camera on purpose: `moved` is ok from `at`, and the new view is learned. */
  relearnScene(at: number): void {
    this.#scene.relearn();
    this.#states.moved.reset(at);
  }

  analyze(frame: GrayFrame): FrameAnalysis {
    const previous = this.#comparable(frame);
    const features = frameFeatures(frame, previous, this.#options.noiseLevel);
    const { verdicts, sceneDistance } = this.#judge(features);
    const changed = HEALTH_PROBLEMS.filter((p) => verdicts[p] !== undefined && this.#states[p].update(verdicts[p], frame.capturedAt));
    const motion = this.motion.update(frame, previous);
    this.#previous = frame;
    return { features, verdicts, health: this.health, changed, motion, sceneDistance };
  }

  #comparable(frame: GrayFrame): GrayFrame | undefined {
    const prev = this.#previous;
    if (prev === undefined) return undefined;
    if (prev.width !== frame.width || prev.height !== frame.height) {
      // detail is measured per pixel: at another size the learned normal no longer applies
      this.#detail.reset();
      return undefined;
    }
    const gap = frame.capturedAt - prev.capturedAt;
    return gap > 0 && gap <= this.#options.maxGapSeconds * 1000 ? prev : undefined;
  }

  #judge(f: FrameFeatures): { verdicts: Verdicts; sceneDistance: number | undefined } {
    const h = this.#options.health;
    const black = f.meanLuma <= h.black.maxMean && f.lumaSpread <= h.black.maxSpread;
    const covered = !black && (f.dominantShare >= h.covered.minDominantShare || f.lumaSpread <= h.covered.maxSpread);
    // a flat picture is black or covered; calling it also frozen or blurred would say the same thing three times
    const flat = black || covered;
    const frozen =
      f.change === undefined
        ? undefined
        : !flat && f.change.quietMeanAbsDiff <= h.frozen.maxQuietMeanAbsDiff && f.change.changedShare <= h.frozen.maxChangedShare;
    const normal = this.#detail.value;
    const blurred = !flat && f.detail < Math.max(h.blurred.floor, normal === undefined ? 0 : normal * h.blurred.relative);
    let moved: boolean | undefined;
    let sceneDistance: number | undefined;
    // only a clear picture can show where the camera points; a covered or blurred one holds the state
    if (!flat && !blurred) {
      sceneDistance = this.#scene.observe(f.signature);
      moved = sceneDistance === undefined ? undefined : sceneDistance > h.moved.minDistance;
      if (frozen !== true) this.#detail.learn(f.detail);
    }
    return { verdicts: { black, covered, frozen, blurred, moved }, sceneDistance };
  }
}

// What "sharp" means for this camera: its usual detail energy, learned from its own good frames.

export interface DetailNormalOptions {
  /** good frames whose median becomes the first normal */
  readonly learnFrames: number;
  /** weight of each later good frame in the slowly moving normal */
  readonly adaptRate: number;
}

export class DetailNormal {
  readonly #options: DetailNormalOptions;
  readonly #learning: number[] = [];
  #normal: number | undefined;

  constructor(options: DetailNormalOptions) {
    this.#options = options;
  }

  /** undefined until learnFrames good frames were seen */
  get value(): number | undefined {
    return this.#normal;
  }

  /** Learns from a frame that showed no picture problem. */
  learn(detail: number): void {
    if (this.#normal !== undefined) {
      this.#normal += (detail - this.#normal) * this.#options.adaptRate;
      return;
    }
    this.#learning.push(detail);
    if (this.#learning.length < this.#options.learnFrames) return;
    // the median, so a few frames taken while focusing do not set the bar
    const sorted = this.#learning.sort((a, b) => a - b);
    this.#normal = sorted[Math.floor(sorted.length / 2)]!;
    this.#learning.length = 0;
  }

  /** Forgets everything (the picture size changed, so detail is on another scale). */
  reset(): void {
    this.#normal = undefined;
    this.#learning.length = 0;
  }
}

// The view this camera is supposed to have: the layout of its first minutes of good frames.

import { renormalize, SIGNATURE_COLS, SIGNATURE_ROWS, signatureDistance } from './signature.ts';

export interface SceneReferenceOptions {
  /** good frames averaged into the reference */
  readonly learnFrames: number;
  /** weight of a matching frame in the reference afterwards: follows light and seasons, not a turn */
  readonly adaptRate: number;
  /** only frames closer than this to the reference adapt it */
  readonly adaptBelow: number;
}

export class SceneReference {
  readonly #options: SceneReferenceOptions;
  readonly #sum = new Float32Array(SIGNATURE_COLS * SIGNATURE_ROWS);
  #learned = 0;
  #reference: Float32Array | undefined;

  constructor(options: SceneReferenceOptions) {
    this.#options = options;
  }

  get learned(): boolean {
    return this.#reference !== undefined;
  }

  /** Distance of a good frame's signature from the reference (undefined while learning), and learns from it. */
  observe(signature: Float32Array): number | undefined {
    const reference = this.#reference;
    if (reference === undefined) {
      for (let i = 0; i < signature.length; i++) this.#sum[i]! += signature[i]!;
      if (++this.#learned >= this.#options.learnFrames) this.#reference = renormalize(this.#sum.map((v) => v / this.#learned));
      return undefined;
    }
    const distance = signatureDistance(reference, signature);
    if (distance < this.#options.adaptBelow) {
      const rate = this.#options.adaptRate;
      for (let i = 0; i < reference.length; i++) reference[i] = reference[i]! * (1 - rate) + signature[i]! * rate;
      renormalize(reference);
    }
    return distance;
  }

  /** Starts learning again: the new view is the right one (an installer turned the camera on purpose). */
  relearn(): void {
    this.#reference = undefined;
    this.#sum.fill(0);
    this.#learned = 0;
  }
}

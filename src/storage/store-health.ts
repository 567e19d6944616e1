// What the service knows about the store right now: /ready and the store metrics read it.
import type { Clock } from '../clock.ts';
import type { StoreError } from '../errors.ts';

export class StoreHealth {
  #clock: Clock;
  #up = false;
  #lastSuccessMs: number | undefined;
  #lastError: StoreError | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Records a success; returns true when this ends a period of failure (worth one info line). */
  succeeded(): boolean {
    const recovered = !this.#up;
    this.#up = true;
    this.#lastSuccessMs = this.#clock.now();
    this.#lastError = undefined;
    return recovered;
  }

  /** Records a failure; returns true when this starts a period of failure (worth one error line). */
  failed(err: StoreError): boolean {
    const changed = this.#up || this.#lastError === undefined || this.#lastError.kind !== err.kind;
    this.#up = false;
    this.#lastError = err;
    return changed;
  }

  get up(): boolean {
    return this.#up;
  }
  get lastSuccessMs(): number | undefined {
    return this.#lastSuccessMs;
  }
  get lastError(): StoreError | undefined {
    return this.#lastError;
  }
}

// One camera's recorder replaced by the next (a new URL, enabled again, removed and added again).
// A segment is named (and keyed in the store) after the second ffmpeg opens it. A new recorder knows
// the names in the camera's folder, but not those of the last recorder's segments already uploaded
// and deleted: one started in the second the last one stopped could open a segment of the same name
// and overwrite that stored segment. So the next recorder starts once the clock has left that second
// (at most a second, and only when a camera's recorder is replaced within it).
import type { Clock } from '../clock.ts';

export class RecorderHandover {
  readonly #clock: Clock;
  /** When each camera's last recorder stopped; kept for a second. */
  readonly #stoppedAt = new Map<string, number>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Stops the camera's recorder (its last segment finalized and handed over) and notes when. */
  async stop(id: string, recorder: { stop(): Promise<void> } | undefined): Promise<void> {
    if (!recorder) return;
    await recorder.stop();
    const now = this.#clock.now();
    for (const [other, at] of this.#stoppedAt) if (now - at > 1000) this.#stoppedAt.delete(other);
    this.#stoppedAt.set(id, now);
  }

  /** Resolves once the clock has left the second the camera's last recorder stopped in. */
  async nextSecond(id: string): Promise<void> {
    const stoppedAt = this.#stoppedAt.get(id);
    if (stoppedAt === undefined) return;
    const waitMs = Math.floor(stoppedAt / 1000) * 1000 + 1000 - this.#clock.now();
    if (waitMs > 0) await this.#clock.sleep(waitMs);
  }
}

// One camera's recorder replaced by the next (a new URL, enabled again, removed and added again).
// A segment is named (and keyed in the store) after the second ffmpeg opens it. A new recorder knows
// the names in the camera's folder, but not those of the last recorder's segments already uploaded
// and deleted: one that opened a segment in the second the last one stopped in would reuse a name
// and overwrite that stored segment. So the next recorder is told that second, and its names come
// after it (SegmentReporter.waitForFreshName; the wait overlaps its audio probe, and is counted as
// its start in the gap metric).
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

  /** The second the camera's last recorder stopped in, while it may still be named by the next; else undefined. */
  newestName(id: string): number | undefined {
    const stoppedAt = this.#stoppedAt.get(id);
    return stoppedAt === undefined ? undefined : Math.floor(stoppedAt / 1000) * 1000;
  }
}

// The pictures of one push camera waiting for its ffmpeg: bounded, and each with a deadline, so a
// sender is answered at once when the queue is full and within PUSH_DEADLINE_MS at the latest.
// Every picture is settled exactly once (taken, or refused with the reason), and counted so.
import type { PushedFrame } from './frame-sink.ts';
import type { JpegSize } from './jpeg-check.ts';
import { PushRefused } from './push-refused.ts';

/** Pictures waiting for ffmpeg: a second or two of a fast sender, at most ~20 MiB at the default size limit. */
export const MAX_QUEUED = 10;
/** A picture not in ffmpeg's pipe by then is refused (503): the sender is never held longer. */
export const PUSH_DEADLINE_MS = 5000;

export interface Waiting {
  frame: PushedFrame;
  /** When it arrived: its time in the recording. */
  arrivedMs: number;
  size: JpegSize;
}

interface Entry extends Waiting {
  settle: (err?: PushRefused) => void;
}

export class PictureQueue {
  #entries: Entry[] = [];
  /** Told of every picture's end: 'taken' or the refusal's kind. */
  #onSettled: (result: 'taken' | PushRefused['kind']) => void;

  #deadlineMs: number;

  constructor(onSettled: (result: 'taken' | PushRefused['kind']) => void, deadlineMs = PUSH_DEADLINE_MS) {
    this.#onSettled = onSettled;
    this.#deadlineMs = deadlineMs;
  }

  get length(): number {
    return this.#entries.length;
  }

  /** The oldest picture, still waiting. */
  get head(): Waiting | undefined {
    return this.#entries[0];
  }

  /** Queues a picture; resolves when it is taken, rejects with PushRefused. Throws when the queue is full. */
  add(picture: Waiting): Promise<void> {
    if (this.#entries.length >= MAX_QUEUED)
      throw new PushRefused('unavailable', `${MAX_QUEUED} pictures are waiting for the encoder; send more slowly or retry`);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        const at = this.#entries.indexOf(entry);
        if (at >= 0) this.#entries.splice(at, 1);
        entry.settle(new PushRefused('unavailable', `the encoder did not take the picture within ${this.#deadlineMs / 1000} s; retry later`));
      }, this.#deadlineMs);
      const entry: Entry = {
        ...picture,
        settle: (err) => {
          if (settled) return; // its deadline passed while it was being written: the sender has its 503
          settled = true;
          clearTimeout(timer);
          this.#onSettled(err ? err.kind : 'taken');
          if (err) reject(err);
          else resolve();
        },
      };
      this.#entries.push(entry);
    });
  }

  /** The head picture is in ffmpeg's pipe: it leaves the queue and its sender is answered. */
  taken(picture: Waiting): void {
    const entry = this.#entries[0];
    if (entry === picture) this.#entries.shift();
    (entry === picture ? entry : undefined)?.settle();
  }

  /** Every waiting picture is refused with this message (503). */
  refuseAll(message: string): void {
    for (const entry of this.#entries.splice(0)) entry.settle(new PushRefused('unavailable', message));
  }
}

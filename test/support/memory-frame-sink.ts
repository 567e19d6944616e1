// A FrameSink that keeps what it takes in memory, for tests of frame sources. `refuse` decides,
// per frame, to reject it instead (with the error to reject with).
import type { FrameSink, PushedFrame } from '../../src/ingest/frame-sink.ts';

export class MemoryFrameSink implements FrameSink {
  readonly frames: PushedFrame[] = [];
  /** Called with each frame and how many were taken before it; an error returned is thrown instead of taking it. */
  refuse: ((frame: PushedFrame, taken: number) => Error | undefined) | undefined;

  async push(frame: PushedFrame): Promise<void> {
    const err = this.refuse?.(frame, this.frames.length);
    if (err) throw err;
    this.frames.push(frame);
  }
}

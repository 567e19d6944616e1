// How a FrameSink says why it did not take a frame, so that a source can tell "later" from "never":
// a Redis consumer leaves a frame refused with `stopping` unacknowledged (it is read again after a
// restart) and acknowledges one refused with `picture` (reading it again would refuse it again).

export type FrameRefusal = 'stopping' | 'picture';

export class FrameRefusedError extends Error {
  /** `stopping`: the camera is stopping or restarting, take it again later; `picture`: this picture can never be recorded. */
  readonly reason: FrameRefusal;
  constructor(message: string, reason: FrameRefusal, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FrameRefusedError';
    this.reason = reason;
  }
}

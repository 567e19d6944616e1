// Reads the frame tap's pipe (fixed-size raw gray frames from the recording's own ffmpeg, see
// frameTapArgs) and hands the newest complete frame to one consumer at a time.
//
// The rule this file exists for: the pipe is always drained. ffmpeg writes the recording and the
// frames from one process; when this pipe fills, ffmpeg blocks in write() and the recording stops
// with it (measured: the segment stopped growing for 18 s). So the stream is never paused, a frame
// that arrives while the consumer is busy replaces the one waiting, and the one it replaces is
// counted as dropped. A slow or stuck consumer costs frames, never footage.
import type { Readable } from 'node:stream';

export interface TapFrame {
  /** width×height bytes, one 8-bit luma value per pixel, rows top to bottom. Owned by the consumer. */
  data: Buffer;
  width: number;
  height: number;
  /** When its last byte was read (ms since the epoch): ffmpeg writes a key frame as soon as it decoded it. */
  atMs: number;
}

export interface FrameTapOptions {
  width: number;
  height: number;
  /** Called with one frame at a time; the next is offered only once the returned promise settles. */
  onFrame: (frame: TapFrame) => void | Promise<void>;
  /** A consumer's failure: reported, and the next frame is offered all the same. */
  onError: (err: unknown) => void;
  /** Told the running count each time a waiting frame is replaced by a newer one. */
  onDropped?: ((dropped: number) => void) | undefined;
  now?: () => number;
}

/** Who wants a camera's key frames, and at what size; `fps`: frames at that rate instead, from a full decode. */
export type FrameConsumer = Pick<FrameTapOptions, 'width' | 'height' | 'onFrame'> & { fps?: number | undefined };

export class FrameTap {
  readonly #opts: FrameTapOptions;
  readonly #frameBytes: number;
  readonly #now: () => number;
  #filling: Buffer;
  #filled = 0;
  #waiting: TapFrame | undefined;
  #busy = false;
  #received = 0;
  #delivered = 0;
  #dropped = 0;

  constructor(source: Readable, opts: FrameTapOptions) {
    if (!(Number.isInteger(opts.width) && Number.isInteger(opts.height) && opts.width > 0 && opts.height > 0)) {
      throw new Error(`frame tap: width and height must be positive integers, got ${opts.width}×${opts.height}`);
    }
    this.#opts = opts;
    this.#frameBytes = opts.width * opts.height;
    this.#now = opts.now ?? Date.now;
    this.#filling = Buffer.allocUnsafe(this.#frameBytes);
    // 'data' keeps the stream flowing for good: nothing here ever calls pause().
    source.on('data', (chunk: Buffer) => this.#read(chunk));
  }

  /** Complete frames read from the pipe. */
  get received(): number {
    return this.#received;
  }

  /** Frames the consumer was given. */
  get delivered(): number {
    return this.#delivered;
  }

  /** Frames replaced by a newer one while the consumer was busy. */
  get dropped(): number {
    return this.#dropped;
  }

  #read(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, this.#frameBytes - this.#filled);
      chunk.copy(this.#filling, this.#filled, at, at + n);
      this.#filled += n;
      at += n;
      if (this.#filled === this.#frameBytes) this.#completed();
    }
  }

  #completed(): void {
    const { width, height } = this.#opts;
    const frame: TapFrame = { data: this.#filling, width, height, atMs: this.#now() };
    this.#filling = Buffer.allocUnsafe(this.#frameBytes);
    this.#filled = 0;
    this.#received++;
    if (this.#waiting !== undefined) {
      this.#dropped++;
      this.#opts.onDropped?.(this.#dropped);
    }
    this.#waiting = frame;
    this.#offer();
  }

  #offer(): void {
    const frame = this.#waiting;
    if (this.#busy || frame === undefined) return;
    this.#waiting = undefined;
    this.#busy = true;
    this.#delivered++;
    void (async () => {
      try {
        await this.#opts.onFrame(frame);
      } catch (err) {
        this.#opts.onError(err);
      } finally {
        this.#busy = false;
        this.#offer();
      }
    })();
  }
}

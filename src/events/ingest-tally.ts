// frame.ingested for a camera that is pushed pictures (http_push, redis_stream): one event per
// interval at most, counting the pictures since the last one, so a 10 fps camera is not 10 events
// a second on every broker. A tally left when pictures stop is told at the next tick.
import type { EmitEvent } from './event-bus.ts';

export class IngestTally {
  readonly #emit: EmitEvent | undefined;
  readonly #cameraId: string;
  readonly #sourceType: string;
  readonly #intervalMs: number;
  #frames = 0;
  #sinceMs = 0;
  #lastFrameMs = 0;
  #lastToldMs = Number.NEGATIVE_INFINITY;

  constructor(opts: { emit: EmitEvent | undefined; cameraId: string; sourceType: string; intervalMs: number }) {
    this.#emit = opts.emit;
    this.#cameraId = opts.cameraId;
    this.#sourceType = opts.sourceType;
    this.#intervalMs = opts.intervalMs;
  }

  /** A picture was taken for recording at `nowMs`; `capturedMs` is its own time. */
  taken(nowMs: number, capturedMs: number): void {
    if (!this.#emit) return;
    if (this.#frames === 0) this.#sinceMs = nowMs;
    this.#frames++;
    this.#lastFrameMs = capturedMs;
    this.tick(nowMs);
  }

  /** Tells the tally when the interval since the last event has passed. */
  tick(nowMs: number): void {
    if (this.#frames === 0 || nowMs - this.#lastToldMs < this.#intervalMs) return;
    this.#emit?.('frame.ingested', this.#cameraId, {
      source_type: this.#sourceType,
      frames: this.#frames,
      since: new Date(this.#sinceMs).toISOString(),
      last_frame_time: new Date(this.#lastFrameMs).toISOString(),
    });
    this.#frames = 0;
    this.#lastToldMs = nowMs;
  }
}

// Every second of a camera that is not recorded is counted somewhere: from the recorder's start to
// the first frame, and from the last frame of a stream to the first frame of the next one, in
// camera_recording_gap_seconds_total{camera_id,reason}. The reason can change while a gap lasts
// (a stall, then a camera that does not answer); each stretch goes to the reason it had then.
import type { Clock } from '../clock.ts';
import type { GapReason, Metrics } from '../metrics.ts';

/** How ffmpeg and the system say that TEMP_DIR is full. */
export const DISK_FULL = /No space left on device|ENOSPC/i;

/** Why the camera is not recorded after a run ended that was not stopped on purpose. */
export function gapReasonOf(run: { ended: 'exited' | 'stalled' | 'audio-changed'; diskFull: boolean; recorded: boolean }): GapReason {
  if (run.diskFull) return 'disk_full';
  if (run.ended === 'stalled') return 'stalled';
  // a run that never recorded although ffmpeg started: the camera did not deliver a stream
  return run.recorded || run.ended === 'audio-changed' ? 'restart' : 'camera_unreachable';
}

/** Why the stream went down, as camera.disconnected tells it: a run that recorded and then ended was ended by the camera or the network. */
export function disconnectReason(ended: 'exited' | 'stalled' | 'audio-changed' | 'stopping', gap: GapReason | undefined): string {
  if (ended === 'stopping') return 'stopping';
  if (ended === 'audio-changed') return 'restart';
  return gap === 'restart' ? 'stream_ended' : (gap ?? 'stopping');
}

export class RecordingGaps {
  #metrics: Metrics;
  #cameraId: string;
  #clock: Clock;
  /** Start of the open gap (the last frame, or the start), undefined while frames arrive. */
  #since: number | undefined;
  /** Counted up to here. */
  #countedTo = 0;
  #reason: GapReason = 'starting';
  #flush = (): void => this.#count(this.#clock.now());

  constructor(deps: { metrics: Metrics; cameraId: string; clock: Clock }) {
    this.#metrics = deps.metrics;
    this.#cameraId = deps.cameraId;
    this.#clock = deps.clock;
  }

  /** When the open gap began; undefined while the camera is recorded. */
  get sinceMs(): number | undefined {
    return this.#since;
  }
  get reason(): GapReason | undefined {
    return this.#since === undefined ? undefined : this.#reason;
  }

  /** The open gap: since when and why; undefined while the camera is recorded. */
  get current(): { sinceMs: number; reason: GapReason } | undefined {
    return this.#since === undefined ? undefined : { sinceMs: this.#since, reason: this.#reason };
  }

  /** Counts open gaps at every scrape; call once at the start. */
  start(): void {
    this.#metrics.gapClocks.add(this.#flush);
  }

  /** Counts up to now and stops counting: the service stops, and a stopped service is not a camera's gap. */
  stop(): void {
    this.#count(this.#clock.now());
    this.#since = undefined;
    this.#metrics.gapClocks.delete(this.#flush);
  }

  /** A gap begins at `fromMs` (the last frame received); an open gap only takes the new reason. */
  open(reason: GapReason, fromMs: number = this.#clock.now()): void {
    if (this.#since === undefined) {
      this.#since = fromMs;
      this.#countedTo = fromMs;
      this.#reason = reason;
    } else {
      this.because(reason);
    }
  }

  /** From now on the open gap is counted under `reason`. */
  because(reason: GapReason): void {
    if (this.#since === undefined || reason === this.#reason) return;
    this.#count(this.#clock.now());
    this.#reason = reason;
  }

  /** Frames arrive again. */
  close(): void {
    this.#count(this.#clock.now());
    this.#since = undefined;
  }

  #count(nowMs: number): void {
    if (this.#since === undefined || nowMs <= this.#countedTo) return;
    this.#metrics.recordingGap.inc({ camera_id: this.#cameraId, reason: this.#reason }, (nowMs - this.#countedTo) / 1000);
    this.#countedTo = nowMs;
  }
}

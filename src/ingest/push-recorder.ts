// One push camera (source_type "http_push", and the Redis-stream source through the same FrameSink):
// pictures come one at a time, are checked (jpeg-check.ts), wait in a short queue, and are written
// to the stdin of one ffmpeg (push-run.ts) that encodes them into the camera's segments. ffmpeg is
// started by the first picture and finished after push.idle_finalize without one, so a camera that
// stops pushing has its last segment closed and uploaded; the camera counts as disconnected after
// push.idle_disconnect. A picture of another size than the running ffmpeg's finishes that segment and
// starts a new one. The queue is bounded and every picture has a deadline: a sender is told 503
// rather than held while ffmpeg does not keep up. See DESIGN.md "Push cameras".
import { IngestTally } from '../events/ingest-tally.ts';
import { emitConnection } from '../events/connection-events.ts';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Recorder } from '../camera/camera-view.ts';
import type { RecorderDeps, RecorderState } from '../camera/recorder.ts';
import { backoffDelay } from '../camera/backoff.ts';
import { DISK_FULL, RecordingGaps } from '../camera/recording-gaps.ts';
import { SegmentReporter } from '../camera/segment-reporter.ts';
import { errorMessage } from '../errors.ts';
import type { CameraVision } from '../frames/camera-vision.ts';
import type { TapJpeg } from '../frames/jpeg-tap.ts';
import type { GapReason } from '../metrics.ts';
import type { FrameSink, PushedFrame } from './frame-sink.ts';
import { checkJpeg, type JpegSize } from './jpeg-check.ts';
import { PushRefused } from './push-refused.ts';
import { PictureQueue, type Waiting } from './picture-queue.ts';
import { PushRun } from './push-run.ts';

export interface PushSettings {
  /** No picture for this long: the camera counts as disconnected. */
  idleDisconnectMs: number;
  /** No picture for this long: ffmpeg is finished, its segment closed and uploaded; the next picture starts a new one. */
  idleFinalizeMs: number;
  /** Largest picture taken. */
  maxFrameBytes: number;
  /** At most one frame.ingested event this often (the event stream). */
  frameIngestedIntervalMs?: number | undefined;
}

/**
 * What a CameraRecorder gets, without its URL and its snapshot branch (the pushed JPEG is the
 * snapshot); `frames` gets every pushed picture, small and gray.
 */
export interface PushRecorderDeps extends Omit<RecorderDeps, 'camera' | 'snapshotWidth'> {
  camera: { id: string; sourceType?: string | undefined };
  push: PushSettings;
}

const TICK_MS = 500;
const RETRY_LATER = "the camera's ffmpeg failed and is restarted after a pause; send the picture again in a few seconds";

export class PushRecorder implements Recorder, FrameSink {
  readonly id: string;
  #deps: PushRecorderDeps;
  #state: RecorderState = 'stopped';
  #connected = false;
  #stopping = new AbortController();
  #segments: SegmentReporter;
  #gaps: RecordingGaps;
  #snapshot: TapJpeg | undefined;
  #queue: PictureQueue;
  #tally: IngestTally;
  /** Every change of the run (start, write, finish) goes through here, one after another. */
  #lane: Promise<void> = Promise.resolve();
  #run: PushRun | undefined;
  #lastTakenMs: number | undefined;
  #startedMs = 0;
  #ticker: NodeJS.Timeout | undefined;
  #stopped: Promise<void> | undefined;
  /** Runs that ended by themselves in a row, and until when no new one is started. */
  #failures = 0;
  #retryAtMs = 0;
  /** An idle finish is under way. */
  #finishing = false;

  constructor(deps: PushRecorderDeps) {
    this.#deps = deps;
    this.id = deps.camera.id;
    // log, metrics, clock, onSegment and newestNameMs as the recorder got them
    this.#segments = new SegmentReporter({ ...deps, cameraId: this.id, dir: this.dir, segmentDurationMs: deps.settings.segmentDurationMs });
    this.#gaps = new RecordingGaps({ ...deps, cameraId: this.id });
    this.#queue = new PictureQueue((result) => deps.metrics.pushedFrames.inc({ camera_id: this.id, result }));
    this.#tally = new IngestTally({
      emit: deps.emit,
      cameraId: this.id,
      sourceType: deps.camera.sourceType ?? 'http_push',
      intervalMs: deps.push.frameIngestedIntervalMs ?? 10_000,
    });
  }

  get dir(): string {
    return join(this.#deps.settings.tempDir, this.id);
  }
  /** The camera's frame analysis, when it is on: it sees every picture, and the pushed JPEG is its snapshot. */
  get vision(): CameraVision | undefined {
    return this.#deps.vision;
  }
  /** The newest picture taken, as it was pushed (no re-encoding), stamped with its capture time. */
  get snapshot(): TapJpeg | undefined {
    return this.#snapshot;
  }
  /** `starting` while no picture comes (before the first, and after idle_disconnect), `recording` while they do, `backoff` after ffmpeg failed. */
  get state(): RecorderState {
    return this.#state;
  }
  /** Since when no picture was recorded, and why (camera_unreachable: nobody pushes). */
  get notRecording(): { sinceMs: number; reason: GapReason } | undefined {
    return this.#gaps.current;
  }
  get newestSegmentEndMs(): number | undefined {
    return this.#segments.newestEndMs;
  }
  /** A picture was taken within idle_disconnect. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Waits for pictures; `starting` until the first one is recorded. */
  start(): void {
    if (this.#ticker || this.#stopped) return;
    this.#state = 'starting';
    this.#startedMs = this.#deps.clock.now();
    this.#setConnected(false);
    this.#gaps.start();
    this.#gaps.open('starting');
    this.#ticker = setInterval(() => this.#tick(), TICK_MS);
  }

  /** Refuses new pictures, writes none of those waiting, finishes ffmpeg (its segment closed and reported). */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping.abort();
    clearInterval(this.#ticker);
    this.#queue.refuseAll('the camera is being stopped; send the picture again once it runs');
    // a write ffmpeg never takes would hold the lane: stop that ffmpeg after stop_timeout
    const guard = setTimeout(() => this.#run?.abort(), this.#deps.settings.stopTimeoutMs);
    try {
      await this.#inLane(() => this.#finishRun('stopping'));
    } finally {
      clearTimeout(guard);
    }
    this.#setConnected(false);
    this.#gaps.stop();
    this.#deps.vision?.stop();
    this.#state = 'stopped';
    this.#deps.log.info('recorder stopped');
  }

  /** Takes one picture: resolves once it is in ffmpeg's pipe; rejects with PushRefused. */
  push(frame: PushedFrame): Promise<void> {
    const { metrics, push, clock } = this.#deps;
    let taken: Promise<void>;
    try {
      const size = checkJpeg(frame.jpeg, push.maxFrameBytes);
      if (this.#stopping.signal.aborted || !this.#ticker) throw new PushRefused('unavailable', 'the camera is not running (stopped or being stopped)');
      if (clock.now() < this.#retryAtMs) throw new PushRefused('unavailable', RETRY_LATER);
      taken = this.#queue.add({ frame, arrivedMs: clock.now(), size });
    } catch (err) {
      if (err instanceof PushRefused) metrics.pushedFrames.inc({ camera_id: this.id, result: err.kind });
      return Promise.reject(err);
    }
    void this.#inLane(() => this.#pump());
    return taken;
  }

  #inLane(fn: () => Promise<void>): Promise<void> {
    const next = this.#lane.then(fn).catch((err) => this.#deps.log.warn({ err: errorMessage(err) }, 'push recorder step failed'));
    this.#lane = next;
    return next;
  }

  /** Writes the waiting pictures, starting (or restarting) ffmpeg as they need. */
  async #pump(): Promise<void> {
    while (this.#queue.length > 0 && !this.#stopping.signal.aborted) {
      const next = this.#queue.head as Waiting;
      let run: PushRun | undefined;
      try {
        run = await this.#runFor(next.size);
      } catch (err) {
        this.#failed(`ffmpeg not started: ${errorMessage(err)}`);
      }
      if (!run || this.#stopping.signal.aborted) return; // refused by #failed or stop()
      if (!(await run.write(next.frame.jpeg, next.arrivedMs))) {
        // ffmpeg is gone: its end is counted and the waiting pictures refused (stop() finishes it itself)
        if (!this.#stopping.signal.aborted) await this.#finishRun('exited');
        return;
      }
      this.#taken(next);
    }
  }

  /** The run for pictures of this size: the current one, or a new one (the current finished first). */
  async #runFor(size: JpegSize): Promise<PushRun | undefined> {
    const current = this.#run;
    if (current && !current.ended && current.size.width === size.width && current.size.height === size.height) return current;
    if (current && !current.ended) {
      this.#deps.log.info(
        { from: `${current.size.width}x${current.size.height}`, to: `${size.width}x${size.height}` },
        'picture size changed; starting a new segment',
      );
    }
    if (current) await this.#finishRun(current.ended ? 'exited' : 'size-changed');
    if (this.#deps.clock.now() < this.#retryAtMs) {
      this.#queue.refuseAll(RETRY_LATER);
      return undefined;
    }
    const { settings, clock, log, vision } = this.#deps;
    const frames = vision ? { ...vision.consumer, onDropped: (dropped: number) => vision.framesDropped(dropped) } : this.#deps.frames;
    await mkdir(this.dir, { recursive: true });
    log.info({ width: size.width, height: size.height }, 'starting ffmpeg for pushed pictures');
    this.#run = await PushRun.start({
      dir: this.dir,
      size,
      ffmpegPath: settings.ffmpegPath,
      segmentDurationMs: settings.segmentDurationMs,
      // never while nobody pushes: idle_finalize ends the run first
      stallTimeoutMs: settings.stallTimeoutMs + this.#deps.push.idleFinalizeMs,
      stopTimeoutMs: settings.stopTimeoutMs,
      segments: this.#segments,
      frames,
      clock,
      log,
      signal: this.#stopping.signal,
    });
    return this.#run;
  }

  /** Finishes the running ffmpeg, if any; an exit nobody asked for counts as a restart. */
  async #finishRun(why: 'stopping' | 'idle' | 'size-changed' | 'exited'): Promise<void> {
    const run = this.#run;
    if (!run) return;
    this.#run = undefined;
    const { log, metrics, settings, clock } = this.#deps;
    const exit = await run.finish();
    const diskFull = exit.stderr.some((line) => DISK_FULL.test(line));
    if (why !== 'exited' && !diskFull) {
      log.info({ why, exitCode: exit.exitCode }, 'ffmpeg finished its segment');
      return;
    }
    metrics.ffmpegRestarts.inc({ camera_id: this.id });
    if (clock.now() - run.startedAtMs >= settings.stableAfterMs) this.#failures = 0;
    if (diskFull) {
      log.error({ dir: this.dir }, 'disk full: ffmpeg cannot write segments; pushed pictures are refused until it can (retrying)');
      this.#deps.onDiskFull?.();
    }
    this.#failed(`ffmpeg exited (code ${exit.exitCode ?? exit.signal})`, exit.stderr, diskFull ? 'disk_full' : 'restart');
  }

  /** ffmpeg could not run: waiting pictures are refused and no new run starts for a backoff delay. */
  #failed(why: string, stderr: string[] = [], reason: GapReason = 'restart'): void {
    const { settings, clock, log } = this.#deps;
    const delayMs = backoffDelay(this.#failures++, { initialMs: settings.restartInitialMs, maxMs: settings.restartMaxMs });
    this.#retryAtMs = clock.now() + delayMs;
    log.warn({ err: why, stderr, delayMs }, 'ffmpeg for pushed pictures failed; pictures are refused until the retry');
    this.#queue.refuseAll(RETRY_LATER);
    if (this.#connected) this.#setConnected(false, reason);
    this.#gaps.open(reason);
    this.#state = 'backoff';
  }

  #taken(w: Waiting): void {
    const { clock, log } = this.#deps;
    this.#lastTakenMs = clock.now();
    this.#snapshot = { jpeg: w.frame.jpeg, atMs: w.frame.capturedAtMs };
    this.#deps.vision?.takeJpeg(this.#snapshot);
    this.#queue.taken(w);
    this.#tally.taken(this.#lastTakenMs, w.frame.capturedAtMs);
    if (this.#connected) return;
    this.#setConnected(true);
    this.#state = 'recording';
    this.#gaps.close();
    log.info('pictures pushed: stream connected');
  }

  /** Idle pictures: disconnected after idle_disconnect, the segment finished after idle_finalize. */
  #tick(): void {
    const { clock, push, log } = this.#deps;
    const now = clock.now();
    this.#tally.tick(now);
    const since = this.#lastTakenMs ?? this.#startedMs;
    if (this.#connected && now - since >= push.idleDisconnectMs) {
      log.info({ idleMs: now - since }, 'no pictures pushed; stream counted as disconnected');
      this.#setConnected(false, 'camera_unreachable');
      this.#state = 'starting';
      this.#gaps.open('camera_unreachable', since);
    }
    if (!this.#connected && this.#gaps.reason === 'starting' && now - since >= push.idleDisconnectMs) this.#gaps.because('camera_unreachable');
    if (this.#state === 'backoff' && now >= this.#retryAtMs) this.#state = 'starting'; // the next picture starts ffmpeg again
    if (this.#run && !this.#finishing && this.#queue.length === 0 && now - since >= push.idleFinalizeMs) {
      const run = this.#run;
      this.#finishing = true;
      void this.#inLane(async () => {
        if (this.#run === run && this.#queue.length === 0) await this.#finishRun('idle');
      }).finally(() => {
        this.#finishing = false;
      });
    }
  }

  /** The gauge, and an event when it changes; `reason`: why it went down. */
  #setConnected(connected: boolean, reason = 'stopping'): void {
    const changed = connected !== this.#connected;
    this.#connected = connected;
    this.#deps.metrics.streamConnected.set({ camera_id: this.id }, connected ? 1 : 0);
    if (changed) emitConnection(this.#deps.emit, this.id, this.#deps.camera.sourceType ?? 'http_push', connected, reason);
  }
}

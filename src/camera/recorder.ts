// One camera: a long-lived owner that runs ffmpeg again and again until stopped (run → runOnce).
// Each run decides the camera's audio (audio-check.ts), starts ffmpeg (ffmpeg-run.ts: the child,
// its progress and stall watchdog), watches its segment list, and reports every segment ffmpeg
// has closed (segment-reporter.ts). After a run ends every .mp4 left in the camera's folder is
// closed too (ffmpeg is gone) and is reported, so a crash never strands footage. Every second
// without frames is counted (recording-gaps.ts).
import type { Config } from '../config/schema.ts';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import { errorMessage } from '../errors.ts';
import type { CameraVision } from '../frames/camera-vision.ts';
import type { TapJpeg } from '../frames/jpeg-tap.ts';
import type { Logger } from '../logger.ts';
import type { GapReason, Metrics } from '../metrics.ts';
import type { FinishedSegment } from '../segment.ts';
import { AudioCheck, type AudioForRun } from './audio-check.ts';
import type { AudioDecision } from './audio-plan.ts';
import { backoffDelay } from './backoff.ts';
import { cameraAnswers, restartDelay } from './camera-port.ts';
import { ffmpegArgs } from './ffmpeg-args.ts';
import { FfmpegRun } from './ffmpeg-run.ts';
import { type RecorderTaps, tapArgs, tapReaders, visionTaps } from './recorder-taps.ts';
import { DISK_FULL, disconnectReason, gapReasonOf, RecordingGaps } from './recording-gaps.ts';
import { emitConnection, sourceTypeOf } from '../events/connection-events.ts';
import type { EmitEvent } from '../events/event-bus.ts';
import { SegmentReporter } from './segment-reporter.ts';

export type RecorderState = 'starting' | 'recording' | 'backoff' | 'stopped';

/** What every recorder runs with: the [recorder] settings, where its segments go and how long they are. */
export type RecorderSettings = Config['recorder'] & { tempDir: string; segmentDurationMs: number };

export interface RecorderDeps extends RecorderTaps {
  camera: { id: string; url: string; sourceType?: string | undefined };
  settings: RecorderSettings;
  /** Where camera.connected / camera.disconnected go (the event stream). */
  emit?: EmitEvent | undefined;
  log: Logger;
  metrics: Metrics;
  clock: Clock;
  onSegment: (segment: FinishedSegment) => void;
  /** ffmpeg failed for lack of space in temp_dir: free some now (the recorder retries with backoff). */
  onDiskFull?: () => void;
  /** The second of the newest segment name an earlier recorder of this camera may have used (see SegmentReporter). */
  newestNameMs?: number | undefined;
  /** This camera's frame analysis: it gets the key frames and snapshots (and overrides the taps above). */
  vision?: CameraVision | undefined;
}

type RunReason = 'exited' | 'stalled' | 'stopping' | 'audio-changed';
/** Why a run ended: the supervisor logs it and decides nothing else from it. */
type RunEnd =
  | { reason: 'not-started'; error: string }
  | { reason: RunReason; exitCode: number | undefined; signal: string | undefined; stderr: string[]; ranMs: number; diskFull: boolean };

/**
 * ffmpeg's segment list lives in a folder of its own: a watcher on the camera's folder would wake on
 * every write ffmpeg makes to the segment being recorded (dozens a second per camera), and that was
 * most of the recorder's steady-state CPU. Here it wakes once per finished segment.
 */
export const LIST_DIR = '.segment-list';
export const LIST_NAME = 'segments.csv';
export const listPathOf = (cameraDir: string): string => join(cameraDir, LIST_DIR, LIST_NAME);

export class CameraRecorder {
  readonly id: string;
  #deps: RecorderDeps;
  #state: RecorderState = 'stopped';
  #connected = false;
  #stopping = new AbortController();
  #loop: Promise<void> | undefined;
  #segments: SegmentReporter;
  #gaps: RecordingGaps;
  /** A disk-full episode was logged at error; cleared when frames are recorded again. */
  #diskFull = false;
  #audio: AudioCheck;
  #snapshot: TapJpeg | undefined;
  readonly #taps: RecorderTaps;

  constructor(deps: RecorderDeps) {
    this.#deps = deps;
    this.#taps = deps.vision ? visionTaps(deps.vision) : deps;
    this.id = deps.camera.id;
    this.#segments = new SegmentReporter({
      cameraId: this.id,
      dir: this.dir,
      segmentDurationMs: deps.settings.segmentDurationMs,
      log: deps.log,
      metrics: deps.metrics,
      clock: deps.clock,
      onSegment: deps.onSegment,
      newestNameMs: deps.newestNameMs,
    });
    this.#gaps = new RecordingGaps({ metrics: deps.metrics, cameraId: this.id, clock: deps.clock });
    this.#audio = new AudioCheck({ url: deps.camera.url, settings: deps.settings, log: deps.log });
  }

  get state(): RecorderState {
    return this.#state;
  }
  get connected(): boolean {
    return this.#connected;
  }
  /** End time (ms) of the newest segment this recorder finished. */
  get newestSegmentEndMs(): number | undefined {
    return this.#segments.newestEndMs;
  }
  /** The camera's frame analysis, when it is on. */
  get vision(): CameraVision | undefined {
    return this.#deps.vision;
  }
  /** The newest key frame as a JPEG, and when it was read; kept across ffmpeg runs (its age tells a stale one). */
  get snapshot(): TapJpeg | undefined {
    return this.#snapshot;
  }
  /** Since when (ms) no frame was recorded, and why; undefined while frames arrive. */
  get notRecording(): { sinceMs: number; reason: GapReason } | undefined {
    return this.#gaps.current;
  }
  get dir(): string {
    return join(this.#deps.settings.tempDir, this.id);
  }

  start(): void {
    if (this.#loop) return;
    this.#setConnected(false);
    this.#gaps.start();
    this.#gaps.open('starting');
    this.#loop = this.#run();
  }

  /** Stops ffmpeg (SIGINT so it finalizes its segment, SIGKILL after stop_timeout) and reports what it closed. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { settings, log, metrics } = this.#deps;
    let attempt = 0;
    while (!this.#stopping.signal.aborted) {
      const end = await this.#runOnce().catch((err: unknown): RunEnd => ({ reason: 'not-started', error: errorMessage(err) }));
      if (this.#stopping.signal.aborted) break;
      if (end.reason !== 'not-started' && end.ranMs >= settings.stableAfterMs) attempt = 0;
      // a camera whose audio changed is restarted at once with the new plan (see AudioCheck.confirm)
      const delayMs = end.reason === 'audio-changed' ? 0 : backoffDelay(attempt++, { initialMs: settings.restartInitialMs, maxMs: settings.restartMaxMs });
      metrics.ffmpegRestarts.inc({ camera_id: this.id });
      if (end.reason === 'not-started') {
        this.#gaps.because(DISK_FULL.test(end.error) ? 'disk_full' : 'camera_unreachable');
        log.warn({ err: end.error, delayMs }, 'ffmpeg not started (camera unreachable or local error); retrying');
      } else {
        log.warn(
          { reason: end.diskFull ? 'disk-full' : end.reason, exitCode: end.exitCode, signal: end.signal, ranMs: end.ranMs, stderr: end.stderr, delayMs },
          'ffmpeg exited; restarting',
        );
      }
      this.#state = 'backoff';
      await this.#backoff(delayMs);
    }
    this.#gaps.stop();
    this.#deps.vision?.stop();
    this.#state = 'stopped';
    log.info('recorder stopped');
  }

  /** The restart delay; cut short when a camera that was down at the TCP level accepts connections again. */
  async #backoff(delayMs: number): Promise<void> {
    const { clock, log } = this.#deps;
    await restartDelay(this.#deps.camera.url, delayMs, {
      clock,
      log,
      signal: this.#stopping.signal,
      onUnreachable: () => {
        if (!this.#diskFull) this.#gaps.because('camera_unreachable');
      },
    });
  }

  async #runOnce(): Promise<RunEnd> {
    const { settings, log, clock } = this.#deps;
    this.#state = 'starting';
    await mkdir(this.dir, { recursive: true });
    let forRun: AudioForRun;
    try {
      forRun = await this.#audio.forRun(this.#stopping.signal);
    } catch (err) {
      return { reason: 'not-started', error: errorMessage(err) };
    }
    const { audio, known, confirmed } = forRun;

    const listPath = listPathOf(this.dir);
    await mkdir(join(this.dir, LIST_DIR), { recursive: true });
    await rm(listPath, { force: true });
    await this.#segments.waitForFreshName(this.#stopping.signal);

    const run = new AbortController();
    let reason: RunReason = 'exited';
    let changedAudio: AudioDecision | undefined;
    let confirmation: Promise<void> | undefined;
    let confirmSettled = false;
    const confirmEnd = new AbortController(); // the confirmation probe never outlives its run
    const onStop = (): void => {
      reason = 'stopping';
      run.abort();
    };
    this.#stopping.signal.addEventListener('abort', onStop, { once: true });
    if (this.#stopping.signal.aborted) onStop(); // stop() came while this run was being set up

    const startedAt = clock.now();
    let recorded = false; // frames came in this run
    log.info({ audio: audio.plan, audioCodec: audio.codec, audioFrom: forRun.from }, 'starting ffmpeg');
    const ffmpeg = await FfmpegRun.start({
      ffmpegPath: settings.ffmpegPath,
      args: ffmpegArgs({
        url: this.#deps.camera.url,
        audio: audio.plan,
        segmentSeconds: settings.segmentDurationMs / 1000,
        rtspTimeoutMs: settings.rtspTimeoutMs,
        outDir: this.dir,
        listPath,
        ...tapArgs(this.#taps),
      }),
      ...tapReaders(this.#taps, log, (jpeg) => {
        this.#snapshot = jpeg;
      }),
      dir: this.dir,
      stallTimeoutMs: settings.stallTimeoutMs,
      stopTimeoutMs: settings.stopTimeoutMs,
      clock,
      log,
      signal: run.signal,
      onQuiet: (lastAdvanceMs) => {
        if (!this.#connected) return;
        log.warn({ quietMs: clock.now() - lastAdvanceMs }, 'no frames from the camera; stream counted as disconnected');
        this.#setConnected(false, 'stalled');
        this.#gaps.open('stalled', lastAdvanceMs);
      },
      onStall: (stalledMs) => {
        if (run.signal.aborted) return;
        reason = 'stalled';
        log.warn({ stalledMs }, 'no progress from ffmpeg; stopping it');
      },
      onFrames: () => {
        recorded = this.#markConnected();
        if (known && !confirmed && !confirmation) {
          confirmation = this.#audio.confirm(known, AbortSignal.any([run.signal, confirmEnd.signal])).then((fresh) => {
            confirmSettled = true;
            if (!fresh || run.signal.aborted || confirmEnd.signal.aborted) return;
            changedAudio = fresh;
            reason = 'audio-changed';
            run.abort();
          });
        }
      },
    });
    const listing = this.#segments.watchList(listPath, () => {
      if (!ffmpeg.stalled) recorded = this.#markConnected(); // a closed segment proves the stream flows, even before the first progress report
    });

    const result = await ffmpeg.exited();
    const ended = reason as RunReason; // set by the callbacks above
    const endedWhileConfirming = confirmation !== undefined && !confirmSettled && ended === 'exited';
    confirmEnd.abort();
    await confirmation;
    this.#stopping.signal.removeEventListener('abort', onStop);
    await listing.close();
    await rm(join(this.dir, LIST_DIR), { recursive: true, force: true });
    await this.#audio.runEnded({ audio, recorded, changed: changedAudio, endedWhileConfirming, cameraAnswers: () => cameraAnswers(this.#deps.camera.url) });
    if (this.#connected) log.info('stream disconnected');
    const diskFull = result.stderr.some((line) => DISK_FULL.test(line));
    const gapReason = ended === 'stopping' ? undefined : gapReasonOf({ ended, diskFull, recorded });
    this.#setConnected(false, disconnectReason(ended, gapReason));
    if (gapReason) this.#gaps.open(gapReason, recorded ? ffmpeg.lastAdvanceMs : clock.now());
    if (diskFull) this.#onDiskFull(result.stderr);
    await this.#segments.sweep();
    return {
      reason: ended,
      exitCode: result.exitCode,
      signal: result.signal,
      stderr: result.stderr,
      ranMs: clock.now() - startedAt,
      diskFull,
    };
  }

  /** ffmpeg could not write: logged at error once per episode (the camera is not recorded), and space is asked for. */
  #onDiskFull(stderr: string[]): void {
    const { log, onDiskFull } = this.#deps;
    if (!this.#diskFull)
      log.error(
        { dir: this.dir, stderr: stderr.filter((line) => DISK_FULL.test(line)).slice(-3) },
        'disk full: ffmpeg cannot write segments; this camera is not recorded until space is freed (retrying)',
      );
    this.#diskFull = true;
    onDiskFull?.();
  }

  /** Frames arrive: the stream is connected and the camera recorded. Returns true. */
  #markConnected(): boolean {
    if (this.#connected || this.#stopping.signal.aborted) return true;
    this.#setConnected(true);
    this.#state = 'recording';
    this.#gaps.close();
    this.#diskFull = false;
    this.#deps.log.info('stream connected');
    return true;
  }

  /** The gauge, and an event when it changes; `reason`: why it went down (a gap reason, or stopping/restart). */
  #setConnected(connected: boolean, reason = 'stopping'): void {
    const changed = connected !== this.#connected;
    this.#connected = connected;
    this.#deps.metrics.streamConnected.set({ camera_id: this.id }, connected ? 1 : 0);
    if (changed) emitConnection(this.#deps.emit, this.id, this.#deps.camera.sourceType ?? sourceTypeOf(this.#deps.camera.url), connected, reason);
  }
}

// One ffmpeg of a push camera: started when a picture comes and none runs, fed pictures on its
// stdin (a Matroska stream, each picture stamped with its arrival), finished by closing stdin (ffmpeg encodes what it has, closes the open segment and lists
// it), with SIGINT and then SIGKILL as the fallback when it does not exit by itself. Its segments
// are reported by the camera's SegmentReporter, exactly as an RTSP camera's.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FRAME_TAP_FD, FfmpegRun, type FfmpegExit } from '../camera/ffmpeg-run.ts';
import { LIST_DIR, listPathOf } from '../camera/recorder.ts';
import type { SegmentReporter } from '../camera/segment-reporter.ts';
import type { Clock } from '../clock.ts';
import type { FrameConsumer } from '../frames/frame-tap.ts';
import type { Logger } from '../logger.ts';
import type { JpegSize } from './jpeg-check.ts';
import { MjpegMkv } from './mjpeg-mkv.ts';
import { pushFfmpegArgs } from './push-ffmpeg-args.ts';

export interface PushRunDeps {
  dir: string;
  size: JpegSize;
  ffmpegPath: string;
  segmentDurationMs: number;
  /** Progress that does not advance for this long while the run lasts ends it (see StallWatchdog). */
  stallTimeoutMs: number;
  stopTimeoutMs: number;
  segments: SegmentReporter;
  frames?: FrameConsumer | undefined;
  clock: Clock;
  log: Logger;
  signal: AbortSignal;
}

export class PushRun {
  readonly size: JpegSize;
  readonly startedAtMs: number;
  #deps: PushRunDeps;
  #ffmpeg: FfmpegRun;
  #listing: { close(): Promise<void> };
  #abort = new AbortController();
  #exit: FfmpegExit | undefined;
  #exited: Promise<FfmpegExit>;
  #mkv = new MjpegMkv();
  /** Written with the first picture. */
  #header: Buffer | undefined;

  static async start(deps: PushRunDeps): Promise<PushRun> {
    await mkdir(join(deps.dir, LIST_DIR), { recursive: true });
    const listPath = listPathOf(deps.dir);
    await rm(listPath, { force: true });
    await deps.segments.waitForFreshName(deps.signal);
    const abort = new AbortController();
    const { log, frames } = deps;
    const ffmpeg = await FfmpegRun.start({
      ffmpegPath: deps.ffmpegPath,
      args: pushFfmpegArgs({
        segmentSeconds: deps.segmentDurationMs / 1000,
        outDir: deps.dir,
        listPath,
        ...(frames && { frames: { width: frames.width, height: frames.height, pipeFd: FRAME_TAP_FD } }),
      }),
      stdin: true,
      frames: frames && { ...frames, onError: (err) => log.warn({ err }, 'the frame consumer failed; it gets the next frame') },
      dir: deps.dir,
      stallTimeoutMs: deps.stallTimeoutMs,
      stopTimeoutMs: deps.stopTimeoutMs,
      clock: deps.clock,
      log,
      signal: abort.signal,
      onFrames: () => undefined,
      // a push camera is quiet whenever nobody pushes: its connection is judged by the pictures taken
      onQuiet: () => undefined,
      onStall: (stalledMs) => log.warn({ stalledMs }, 'ffmpeg takes pictures but makes no progress; stopping it'),
    });
    const listing = deps.segments.watchList(listPath, () => undefined);
    return new PushRun(deps, ffmpeg, listing, abort);
  }

  private constructor(deps: PushRunDeps, ffmpeg: FfmpegRun, listing: { close(): Promise<void> }, abort: AbortController) {
    this.#deps = deps;
    this.size = deps.size;
    this.startedAtMs = deps.clock.now();
    this.#ffmpeg = ffmpeg;
    this.#listing = listing;
    this.#abort = abort;
    this.#header = this.#mkv.header(deps.size.width, deps.size.height);
    this.#exited = ffmpeg.exited().then((exit) => {
      this.#exit = exit;
      return exit;
    });
  }

  /** ffmpeg has exited (by itself, when it had not been asked to finish: a crash or a stall). */
  get ended(): boolean {
    return this.#exit !== undefined;
  }

  /** Resolves true once the picture, stamped `atMs`, is in ffmpeg's pipe; false when ffmpeg is gone. */
  write(jpeg: Buffer, atMs: number): Promise<boolean> {
    const stdin = this.#ffmpeg.stdin;
    return new Promise((resolve) => {
      if (this.ended || !stdin || !stdin.writable) return resolve(false);
      const block = this.#mkv.block(jpeg, atMs);
      stdin.write(this.#header ? Buffer.concat([this.#header, block]) : block, (err) => resolve(!err));
      this.#header = undefined;
    });
  }

  /** Stops ffmpeg now (SIGINT, SIGKILL after stop_timeout): for a write that ffmpeg does not take. */
  abort(): void {
    this.#abort.abort();
  }

  /**
   * Ends the run: stdin closed, so ffmpeg encodes every picture it has and closes the segment; SIGINT
   * when it has not exited within stop_timeout (SIGKILL a stop_timeout later). Then the list is read
   * to its end and every segment left in the folder reported. Returns how ffmpeg ended.
   */
  async finish(): Promise<FfmpegExit> {
    const { clock, stopTimeoutMs, dir } = this.#deps;
    this.#ffmpeg.stdin?.end();
    const late = new AbortController();
    const exit = await Promise.race([this.#exited, clock.sleep(stopTimeoutMs, late.signal).then(() => undefined)]);
    late.abort();
    if (exit === undefined) this.#abort.abort();
    const result = await this.#exited;
    await this.#listing.close();
    await rm(join(dir, LIST_DIR), { recursive: true, force: true });
    await this.#deps.segments.sweep();
    return result;
  }
}

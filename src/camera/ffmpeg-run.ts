// One ffmpeg run as a child process: started with the environment every child gets, its progress
// read from stdout into the stall watchdog, the last lines of its stderr kept, its pid written
// beside its segments while it runs. What a run means (connected, recorded, why it ended) is the
// recorder's to decide (recorder.ts).
import { Readable, type Writable } from 'node:stream';
import { execa } from 'execa';
import { childEnv } from '../child-env.ts';
import type { Clock } from '../clock.ts';
import { FrameTap, type FrameTapOptions } from '../frames/frame-tap.ts';
import { JpegTap, type TapJpeg } from '../frames/jpeg-tap.ts';
import type { Logger } from '../logger.ts';
import { removePidFile, writePidFile } from './ffmpeg-pidfile.ts';
import { ProgressParser } from './progress.ts';
import { StallWatchdog } from './stall-watchdog.ts';
import { TailBuffer } from './tail-buffer.ts';

export interface FfmpegRunDeps {
  ffmpegPath: string;
  args: string[];
  /** The camera's folder: the pid file goes there. */
  dir: string;
  stallTimeoutMs: number;
  stopTimeoutMs: number;
  clock: Clock;
  log: Logger;
  /** Aborting it stops ffmpeg: SIGINT (it finalizes the open segment), SIGKILL after stopTimeoutMs. */
  signal: AbortSignal;
  /** ffmpeg's progress advanced with frames written. */
  onFrames: () => void;
  /** No progress for a while since `lastAdvanceMs` (see StallWatchdog). */
  onQuiet: (lastAdvanceMs: number) => void;
  /** ffmpeg is being stopped for a stall (see StallWatchdog). */
  onStall: (stalledMs: number) => void;
  /** Read key frames from ffmpeg's fd FRAME_TAP_FD (the args carry frameTapArgs with that pipeFd). */
  frames?: FrameTapOptions | undefined;
  /** Read a JPEG per key frame from ffmpeg's fd SNAPSHOT_FD (the args carry jpegTapArgs with that pipeFd). */
  onSnapshot?: ((jpeg: TapJpeg) => void) | undefined;
  /** ffmpeg reads its input from stdin (a push camera's pictures, see FfmpegRun.stdin). */
  stdin?: boolean | undefined;
}

/** The file descriptor ffmpeg writes the frame tap's frames to: the first after stdin, stdout, stderr. */
export const FRAME_TAP_FD = 3;
/** The file descriptor ffmpeg writes snapshot JPEGs to. */
export const SNAPSHOT_FD = 4;

export interface FfmpegExit {
  exitCode: number | undefined;
  signal: string | undefined;
  /** The last lines of stderr. */
  stderr: string[];
}

export class FfmpegRun {
  #pid: number | undefined;
  #watchdog: StallWatchdog;
  #exited: Promise<FfmpegExit>;
  #stdin: Writable | undefined;

  /** Starts ffmpeg; resolves once its pid file is written (a failure to write it is logged, not thrown). */
  static async start(deps: FfmpegRunDeps): Promise<FfmpegRun> {
    const run = new FfmpegRun(deps);
    if (run.#pid !== undefined) await writePidFile(deps.dir, run.#pid).catch((err) => deps.log.warn({ err }, 'cannot write the ffmpeg pid file'));
    return run;
  }

  private constructor(deps: FfmpegRunDeps) {
    const { clock } = deps;
    const child = execa(deps.ffmpegPath, deps.args, {
      ...childEnv({ TZ: 'UTC' }), // no secrets; strftime names and clock-aligned cuts in UTC, whatever the host's zone
      ...(deps.frames || deps.onSnapshot
        ? { stdio: [deps.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe', 'pipe'] as const }
        : { stdin: deps.stdin ? ('pipe' as const) : ('ignore' as const) }),
      buffer: false, // ffmpeg runs for days: never accumulate its output
      reject: false,
      cancelSignal: deps.signal,
      killSignal: 'SIGINT', // ffmpeg finalizes the open segment on SIGINT
      forceKillAfterDelay: deps.stopTimeoutMs,
    });
    this.#pid = child.pid;
    // a write after ffmpeg exited fails with EPIPE: the writer learns it from its callback, and the
    // run's end from exited()
    this.#stdin = child.stdin ?? undefined;
    this.#stdin?.on('error', () => undefined);
    const watchdog = new StallWatchdog({
      stallTimeoutMs: deps.stallTimeoutMs,
      clock,
      onQuiet: deps.onQuiet,
      onStall: deps.onStall,
      signal: (signal) => void child.kill(signal),
    });
    this.#watchdog = watchdog;
    const frames = child.stdio[FRAME_TAP_FD];
    if (deps.frames && frames instanceof Readable) new FrameTap(frames, deps.frames);
    const snapshots = child.stdio[SNAPSHOT_FD];
    if (deps.onSnapshot && snapshots instanceof Readable) new JpegTap(snapshots, { onJpeg: deps.onSnapshot });
    const stderr = new TailBuffer(50);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    const progress = new ProgressParser();
    let lastMark = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const p of progress.push(chunk)) {
        // The segment muxer reports total_size=N/A; frames and media time are what advance.
        const mark = `${p.frame}/${p.outTimeUs}`;
        if (mark === lastMark) continue;
        lastMark = mark;
        if (!watchdog.advanced() || p.frame === 0) continue;
        deps.onFrames();
      }
    });
    this.#exited = child.then(async (result) => {
      watchdog.stop();
      await removePidFile(deps.dir);
      return { exitCode: result.exitCode, signal: result.signal, stderr: stderr.lines() };
    });
  }

  /** ffmpeg's stdin, when it was started with `stdin: true`. */
  get stdin(): Writable | undefined {
    return this.#stdin;
  }

  /** A stall was declared: the run is ending whatever comes. */
  get stalled(): boolean {
    return this.#watchdog.stalled;
  }

  /** When ffmpeg's progress last advanced (ms; the start until it reports). */
  get lastAdvanceMs(): number {
    return this.#watchdog.lastAdvanceMs;
  }

  /** Resolves when ffmpeg has exited, its watchdog stopped and its pid file removed. */
  exited(): Promise<FfmpegExit> {
    return this.#exited;
  }
}

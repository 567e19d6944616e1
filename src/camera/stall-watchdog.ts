// The watchdog of one ffmpeg run, on its progress reports (every 2 s while frames flow, see
// -stats_period in ffmpeg-args.ts). A camera that keeps the connection open and stops sending
// leaves ffmpeg blocked in a read: no report comes at all, and ffmpeg ignores a first SIGINT
// there (its interrupt callback only fires from the second signal on), so a stalled ffmpeg asked
// to stop would sit out the whole stop timeout. Before its first report ffmpeg is still connecting
// and probing the stream (seconds on a loaded host), where the first SIGINT works: that start gets
// the whole stall_timeout before it is asked to stop.
import type { Clock } from '../clock.ts';

/** Two missed progress reports: the stream no longer counts as connected. */
export const QUIET_MS = 5000;
const TICK_MS = 500;
/** Time before stall_timeout at which ffmpeg is asked to stop, so that it is gone by stall_timeout. */
const MAX_STOP_GRACE_MS = 2000;

export interface StallWatchdogDeps {
  stallTimeoutMs: number;
  clock: Clock;
  /** No progress for QUIET_MS (or stall_timeout, if shorter) since `lastAdvanceMs`. */
  onQuiet: (lastAdvanceMs: number) => void;
  /** ffmpeg is being stopped for a stall; once it has reported progress, it is killed at stall_timeout if it has not exited. */
  onStall: (quietMs: number) => void;
  signal: (signal: 'SIGINT' | 'SIGKILL') => void;
}

export class StallWatchdog {
  #deps: StallWatchdogDeps;
  #lastAdvanceMs: number;
  #quiet = false;
  #stalled = false;
  /** ffmpeg has reported progress at least once. */
  #flowing = false;
  #timer: NodeJS.Timeout;
  #ended = new AbortController();

  constructor(deps: StallWatchdogDeps) {
    this.#deps = deps;
    this.#lastAdvanceMs = deps.clock.now();
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  get lastAdvanceMs(): number {
    return this.#lastAdvanceMs;
  }
  get stalled(): boolean {
    return this.#stalled;
  }

  /** Progress advanced. Returns false once a stall was declared: that run is ending whatever comes. */
  advanced(): boolean {
    if (this.#stalled) return false;
    this.#lastAdvanceMs = this.#deps.clock.now();
    this.#quiet = false;
    this.#flowing = true;
    return true;
  }

  /** The run ended: no more checks, no more signals. */
  stop(): void {
    clearInterval(this.#timer);
    this.#ended.abort();
  }

  #tick(): void {
    const { stallTimeoutMs, clock } = this.#deps;
    const quietMs = clock.now() - this.#lastAdvanceMs;
    if (!this.#quiet && quietMs >= Math.min(QUIET_MS, stallTimeoutMs)) {
      this.#quiet = true;
      this.#deps.onQuiet(this.#lastAdvanceMs);
    }
    if (!this.#stalled && quietMs >= this.#stopAtMs() - this.#graceMs()) {
      this.#stalled = true;
      this.#deps.onStall(quietMs);
      void this.#stopFfmpeg();
    }
  }

  #graceMs(): number {
    return Math.min(MAX_STOP_GRACE_MS, this.#deps.stallTimeoutMs / 4);
  }

  /** Quiet time after which ffmpeg is killed: stall_timeout, a grace later while it has not reported yet. */
  #stopAtMs(): number {
    return this.#deps.stallTimeoutMs + (this.#flowing ? 0 : this.#graceMs());
  }

  /** SIGINT (finalize the segment), a second SIGINT (interrupts a blocked read), SIGKILL at stall_timeout. */
  async #stopFfmpeg(): Promise<void> {
    const { clock, signal } = this.#deps;
    const ended = this.#ended.signal;
    const killAt = this.#lastAdvanceMs + this.#stopAtMs();
    signal('SIGINT');
    await clock.sleep(this.#graceMs() / 2, ended);
    if (ended.aborted) return;
    signal('SIGINT');
    await clock.sleep(Math.max(0, killAt - clock.now()), ended);
    if (!ended.aborted) signal('SIGKILL');
  }
}

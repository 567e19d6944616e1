// One problem's state, flipped only by a run of frames that agree, so one odd frame does not flap.

export type ProblemStatus = 'ok' | 'problem';

export interface ProblemState {
  readonly status: ProblemStatus;
  /** capture time (ms) of the first frame of the run that set this status; the start time for the first state */
  readonly since: number;
}

export interface DebounceOptions {
  /** consecutive frames showing the problem before it turns on */
  readonly onFrames: number;
  /** …spanning at least this many seconds (first to last of the run) */
  readonly onSeconds: number;
  /** consecutive clean frames before it turns off */
  readonly offFrames: number;
  readonly offSeconds: number;
}

export class Debounce {
  readonly #options: DebounceOptions;
  #state: ProblemState;
  #run = 0;
  #runStart = 0;

  /** `name` says whose options these are in an error (e.g. "moved"). */
  constructor(options: DebounceOptions, startedAt: number, name = 'problem') {
    checkDebounce(options, name);
    this.#options = options;
    this.#state = { status: 'ok', since: startedAt };
  }

  get state(): ProblemState {
    return this.#state;
  }

  /** Back to ok from `at`, forgetting any run under way (the condition was declared fine by a person). */
  reset(at: number): void {
    this.#state = { status: 'ok', since: at };
    this.#run = 0;
  }

  /** Feeds one frame's verdict; returns true when the status changed on this frame. */
  update(problem: boolean, at: number): boolean {
    const wanted: ProblemStatus = problem ? 'problem' : 'ok';
    if (wanted === this.#state.status) {
      this.#run = 0;
      return false;
    }
    if (this.#run === 0) this.#runStart = at;
    this.#run++;
    const frames = problem ? this.#options.onFrames : this.#options.offFrames;
    const seconds = problem ? this.#options.onSeconds : this.#options.offSeconds;
    if (this.#run < frames || at - this.#runStart < seconds * 1000) return false;
    this.#state = { status: wanted, since: this.#runStart };
    this.#run = 0;
    return true;
  }
}

function checkDebounce(options: DebounceOptions, name: string): void {
  for (const key of ['onFrames', 'offFrames'] as const) {
    const v = options[key];
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} debounce: ${key} = ${String(v)}: expected a whole number of frames, at least 1`);
  }
  for (const key of ['onSeconds', 'offSeconds'] as const) {
    const v = options[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`${name} debounce: ${key} = ${String(v)}: expected seconds, 0 or more`);
  }
}

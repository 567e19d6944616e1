// The signals that stop the service, caught from the entry's first lines. Until the command line
// knows what to do with them (service, or a one-shot command) they are remembered, not lost: a
// SIGTERM while the configuration loads must not end the process with 143.
// No imports: the entry loads this before it has checked the Node.js version.

export type StopSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP';
/** SIGHUP too: without a handler it ends the process at once (129) and the open segments with it. */
const STOP_SIGNALS: StopSignal[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

export class StopSignals {
  #received: StopSignal[] = [];
  #handler: ((signal: StopSignal) => void) | undefined;
  #listener = (signal: NodeJS.Signals): void => {
    this.#received.push(signal as StopSignal);
    this.#handler?.(signal as StopSignal);
  };

  constructor() {
    for (const s of STOP_SIGNALS) process.on(s, this.#listener);
  }

  /** From now on each signal goes to `handler`; those that came earlier go to it first, in order. */
  handle(handler: (signal: StopSignal) => void): void {
    this.#handler = handler;
    for (const s of this.#received) handler(s);
  }

  /** Gives the signals back their default action (for one-shot commands); one that came already takes effect now. */
  release(): void {
    for (const s of STOP_SIGNALS) process.off(s, this.#listener);
    const first = this.#received[0];
    if (first) process.kill(process.pid, first);
  }
}

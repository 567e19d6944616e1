// Log lines about bad input that arrives at frame rate. A producer that writes broken entries at
// 2 fps would write 7 200 lines an hour; so each kind of problem is logged at once the first time,
// then at most once a minute, and the line says how many of that kind were not logged since.
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';

const EVERY_MS = 60_000;

export class ProblemLines {
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #last = new Map<string, { atMs: number; unlogged: number }>();

  constructor(log: Logger, clock: Clock) {
    this.#log = log;
    this.#clock = clock;
  }

  warn(kind: string, fields: Record<string, unknown>, message: string): void {
    const extra = this.#due(kind);
    if (extra) this.#log.warn({ ...fields, ...extra }, message);
  }

  error(kind: string, fields: Record<string, unknown>, message: string): void {
    const extra = this.#due(kind);
    if (extra) this.#log.error({ ...fields, ...extra }, message);
  }

  /** The fields to add when a line of this kind is due now, else undefined (and it is counted). */
  #due(kind: string): { unlogged_since_last_line?: number } | undefined {
    const now = this.#clock.now();
    const last = this.#last.get(kind);
    if (last !== undefined && now - last.atMs < EVERY_MS) {
      last.unlogged++;
      return undefined;
    }
    this.#last.set(kind, { atMs: now, unlogged: 0 });
    return last !== undefined && last.unlogged > 0 ? { unlogged_since_last_line: last.unlogged } : {};
  }
}

// Frames of one camera from a Redis stream, read with a consumer group and handed to the camera's
// FrameSink in stream order. An entry is acknowledged (XACK) only after the sink took it, or when
// it can never be a frame; so a frame read but not taken before a crash stays in this consumer's
// pending list, and the next start reads that list (XREADGROUP … 0) before anything new (>).
// `run` loops `runOnce` (connect, ensure the group, read) until stop(), with backoff between tries.
import { type BackoffOptions, backoffDelay } from '../camera/backoff.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { CameraConfig } from '../config/schema.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { maskUrl, Redactor } from '../redact.ts';
import { FrameRefusedError } from './frame-refused.ts';
import type { FrameSink } from './frame-sink.ts';
import { ProblemLines } from './problem-lines.ts';
import { ack, connectClient, ensureGroup, groupBacklog, readEntries, type StreamClient, type StreamEntry, type StreamTarget } from './redis-stream-client.ts';
import { parseEntry } from './redis-stream-entry.ts';

export interface RedisStreamSourceOptions extends StreamTarget {
  /** redis:// or rediss://, maybe with user and password: never logged as is. */
  url: string;
  sink: FrameSink;
  log: Logger;
  clock?: Clock;
  /** Entries per read: what a crash leaves pending, to be read again at the next start. @default 32 */
  count?: number;
  /** How long one read waits for new entries. @default 5000 */
  blockMs?: number;
  /** Between tries while Redis is unreachable, or while the sink does not take frames. @default 1s doubling to 30s */
  backoff?: BackoffOptions;
  /** @default 10000 */
  connectTimeoutMs?: number;
}

/** `reading`: connected, the group exists, frames flow (or would); `retrying`: waiting to try again. */
export type RedisStreamState = 'created' | 'connecting' | 'reading' | 'retrying' | 'stopped';

export interface RedisStreamCounts {
  /** Frames the sink took (each acknowledged). */
  frames: number;
  /** Entries acknowledged without being frames: no or a broken JPEG, unreadable meta, refused by the sink. */
  rejected: number;
  /** Entries this consumer had read but that were deleted from the stream before it took them. */
  lost: number;
}

// Redis answers at once (a blocking read by blockMs); no answer well after that is a connection
// that died without a reset (a pulled cable, a dead NAT entry), which TCP alone may take hours to
// notice. Without this a read, or an ack that stop() waits for, could hang for that long.
const ANSWER_GRACE_MS = 15_000;

// A sink that fails on a frame without saying why (an error other than FrameRefusedError) may have
// failed for a moment or may fail on that picture for ever; after this many tries with backoff
// (8-15 s) the entry is taken as a picture that cannot be recorded, so one frame cannot stop a camera.
const UNEXPLAINED_TRIES = 5;

export class RedisStreamSource {
  readonly #o: Required<Omit<RedisStreamSourceOptions, 'log'>>;
  readonly #log: Logger;
  readonly #redactor = new Redactor();
  readonly #abort = new AbortController();
  readonly #problems: ProblemLines;
  readonly #counts: RedisStreamCounts = { frames: 0, rejected: 0, lost: 0 };
  #state: RedisStreamState = 'created';
  #client: StreamClient | undefined;
  /** Between taking an entry and acknowledging it: stop() lets that finish instead of cutting the connection. */
  #handling = false;
  #run: Promise<void> | undefined;
  #downSince: number | undefined;
  /** The entry the sink last failed on without saying why (not a FrameRefusedError), and how often in a row. */
  #failures = { id: '', times: 0 };

  constructor(options: RedisStreamSourceOptions) {
    this.#o = {
      clock: systemClock,
      count: 32,
      blockMs: 5000,
      backoff: { initialMs: 1000, maxMs: 30_000 },
      connectTimeoutMs: 10_000,
      ...options,
    };
    this.#redactor.addUrlPasswords([options.url]);
    this.#log = options.log.child({ component: 'redis-stream', stream: options.stream });
    this.#problems = new ProblemLines(this.#log, this.#o.clock);
  }

  get state(): RedisStreamState {
    return this.#state;
  }

  /** Whether Redis answers and the group is there: a camera whose source is not connected shows as disconnected. */
  get connected(): boolean {
    return this.#state === 'reading';
  }

  counts(): RedisStreamCounts {
    return { ...this.#counts };
  }

  start(): void {
    if (this.#state !== 'created') return;
    this.#run = this.#loop();
  }

  /** Resolves once the connection is closed; a frame being handed to the sink is acknowledged first. */
  async stop(): Promise<void> {
    this.#abort.abort();
    if (!this.#handling) this.#closeClient(); // aborts a blocking read: what it took stays pending
    await this.#run;
    this.#state = 'stopped';
  }

  async #loop(): Promise<void> {
    const signal = this.#abort.signal;
    let attempt = 0;
    while (!signal.aborted) {
      try {
        await this.#runOnce(() => {
          attempt = 0;
        });
      } catch (err) {
        if (signal.aborted) break;
        this.#failed(err);
        await this.#o.clock.sleep(backoffDelay(attempt++, this.#o.backoff), signal);
      }
    }
    this.#state = 'stopped';
    this.#log.info({ ...this.#counts }, 'redis stream source stopped');
  }

  /** Returns only when stopped; throws when Redis fails, to be tried again. */
  async #runOnce(connected: () => void): Promise<void> {
    const signal = this.#abort.signal;
    this.#state = 'connecting';
    const client = connectClient(this.#o.url, this.#o.connectTimeoutMs);
    this.#client = client;
    try {
      const backlog = await answered(client, 'the connection and XGROUP CREATE', this.#o.connectTimeoutMs + ANSWER_GRACE_MS, async () => {
        await client.connect();
        await ensureGroup(client, this.#o);
        return await groupBacklog(client, this.#o);
      });
      this.#up(backlog);
      connected();
      let refusals = 0;
      let after = '0'; // this consumer's own pending entries first, then new ones ('>')
      while (!signal.aborted) {
        const entries = await this.#read(client, after);
        if (after !== '>') after = entries.at(-1)?.id ?? '>';
        for (const entry of entries) {
          if (signal.aborted) return;
          if (await this.#handle(client, entry)) {
            refusals = 0;
            continue;
          }
          // Not taken and not acknowledged: it stays pending, and reading starts again from the
          // pending list, so the frames keep their order.
          await this.#o.clock.sleep(backoffDelay(refusals++, this.#o.backoff), signal);
          after = '0';
          break;
        }
      }
    } finally {
      if (this.#client === client) this.#client = undefined;
      closeClient(client);
    }
  }

  #read(client: StreamClient, after: string): Promise<StreamEntry[]> {
    return answered(client, 'XREADGROUP', this.#o.blockMs + ANSWER_GRACE_MS, () => readEntries(client, this.#o, after, this.#o.count, this.#o.blockMs));
  }

  #ack(client: StreamClient, id: string): Promise<void> {
    return answered(client, 'XACK', ANSWER_GRACE_MS, () => ack(client, this.#o, id));
  }

  /** Whether the entry is done with (taken or rejected, and acknowledged); false: not taken, still pending. */
  async #handle(client: StreamClient, entry: StreamEntry): Promise<boolean> {
    const parsed = parseEntry(entry.id, entry.fields, this.#o.clock.now());
    this.#handling = true;
    try {
      if (!parsed.ok) {
        await this.#ack(client, entry.id);
        if (parsed.problem === 'gone') this.#lost(entry.id, parsed.detail);
        else this.#rejected(entry.id, parsed.problem, parsed.detail);
        return true;
      }
      try {
        await this.#o.sink.push(parsed.frame);
      } catch (err) {
        const message = this.#redactor.scrub(errorMessage(err));
        if (err instanceof FrameRefusedError && err.reason === 'picture') {
          await this.#ack(client, entry.id);
          this.#rejected(entry.id, 'refused', message);
          return true;
        }
        if (!(err instanceof FrameRefusedError) && this.#failedAgain(entry.id) >= UNEXPLAINED_TRIES) {
          await this.#ack(client, entry.id);
          this.#rejected(entry.id, 'refused', `${message} (the sink failed on it ${UNEXPLAINED_TRIES} times)`);
          return true;
        }
        if (!this.#abort.signal.aborted) {
          this.#log.warn({ entry: entry.id, err: message }, 'frame not taken by the recording; it stays pending and is read again');
        }
        return false;
      }
      await this.#ack(client, entry.id);
      this.#counts.frames++;
      return true;
    } finally {
      this.#handling = false;
    }
  }

  /** How many times in a row the sink failed on this entry, this time included. */
  #failedAgain(id: string): number {
    this.#failures = this.#failures.id === id ? { id, times: this.#failures.times + 1 } : { id, times: 1 };
    return this.#failures.times;
  }

  #rejected(id: string, problem: string, detail: string): void {
    this.#counts.rejected++;
    this.#problems.warn(problem, { entry: id, problem, detail }, 'stream entry rejected; acknowledged without recording it');
  }

  #lost(id: string, detail: string): void {
    this.#counts.lost++;
    this.#problems.error('gone', { entry: id, detail }, 'frame lost: the stream entry was deleted before it was recorded');
  }

  /** `backlog`: how far behind the group is, so a catch-up after downtime is visible in the log. */
  #up(backlog: { lag: number | null; pending: number } | undefined): void {
    const downSince = this.#downSince;
    this.#downSince = undefined;
    this.#state = 'reading';
    const where = { url: maskUrl(this.#o.url), group: this.#o.group, consumer: this.#o.consumer, unread: backlog?.lag, pending: backlog?.pending };
    if (downSince === undefined) this.#log.info(where, 'redis stream connected');
    else this.#log.info({ ...where, down_ms: this.#o.clock.now() - downSince }, 'redis stream connected again');
  }

  /** One warning per outage; the tries after it are debug lines. */
  #failed(err: unknown): void {
    this.#state = 'retrying';
    const fields = { url: maskUrl(this.#o.url), err: this.#redactor.scrub(errorMessage(err)) };
    if (this.#downSince !== undefined) {
      this.#log.debug(fields, 'redis stream still unavailable');
      return;
    }
    this.#downSince = this.#o.clock.now();
    this.#log.warn(fields, 'redis stream unavailable; the camera is disconnected until it answers again');
  }

  #closeClient(): void {
    if (this.#client !== undefined) closeClient(this.#client);
  }
}

/**
 * Runs one command; without an answer within limitMs the connection is closed (the command then
 * rejects, saying so) and the source reconnects.
 */
async function answered<T>(client: StreamClient, command: string, limitMs: number, run: () => Promise<T>): Promise<T> {
  let silent = false;
  const watchdog = setTimeout(() => {
    silent = true;
    closeClient(client);
  }, limitMs);
  try {
    return await run();
  } catch (err) {
    if (silent) throw new Error(`no answer to ${command} within ${limitMs} ms; the connection is taken as lost`, { cause: err });
    throw err;
  } finally {
    clearTimeout(watchdog);
  }
}

/** Closes at once: pending commands reject, and whatever a blocking read took stays in the pending list. */
function closeClient(client: StreamClient): void {
  try {
    client.destroy();
  } catch {
    /* already closed */
  }
}

/** The source of a configured camera with source_type = "redis_stream". */
export function redisStreamSourceOf(camera: Pick<CameraConfig, 'id' | 'url' | 'redis'>, sink: FrameSink, log: Logger): RedisStreamSource {
  if (camera.redis === undefined) throw new Error(`camera ${camera.id} is not a redis_stream camera`);
  return new RedisStreamSource({ url: camera.url, ...camera.redis, sink, log });
}

// The Redis sink's connection (a SinkTransport for queued-sink.ts): each envelope is PUBLISHed on
// `{channel_prefix}{camera_id}` and, in the same MULTI, the camera's state is SET under
// `{state_key_prefix}{camera_id}` (DEL once the camera is removed), since Pub/Sub keeps nothing
// and a subscriber who arrives late reads the key. On every connect all states are written again:
// what changed while Redis was away is there at once, even when the outbox dropped its events.
// The client neither reconnects nor queues by itself: the sink's loop decides when to try again
// and its outbox holds what waits. Every wait on Redis has a limit, so a server that takes the
// socket and never answers costs one timeout, then a reconnect, never a stalled loop.
import { createClient } from 'redis';
import { redisUrlProblem } from '../config/broker-urls.ts';
import { ConfigError, errorMessage } from '../errors.ts';
import { maskUrl, Redactor } from '../redact.ts';
import type { CameraState } from './camera-states.ts';
import type { AnyEnvelope } from './event-types.ts';
import type { SinkTransport } from './queued-sink.ts';

export interface RedisTransportOptions {
  /** redis:// or rediss:// (TLS), maybe with user and password: never logged as is. */
  url: string;
  /** Used instead of the URL's password when not empty. */
  password: string;
  channelPrefix: string;
  stateKeyPrefix: string;
  /** Limit on connecting: the TCP (and TLS) connection, AUTH, and writing every state. */
  connectTimeoutMs?: number;
  /** Limit on Redis answering one publish (PUBLISH and SET); past it the connection is taken as lost. */
  answerTimeoutMs?: number;
}

type Client = ReturnType<typeof newClient>;

const CONNECT_TIMEOUT_MS = 10_000;
const ANSWER_TIMEOUT_MS = 5_000;
/** How long close() lets replies still on their way arrive before it drops the socket. */
const CLOSE_GRACE_MS = 1_000;

export class RedisTransport implements SinkTransport {
  readonly #o: Required<RedisTransportOptions>;
  /** The URL without its user info: node-redis never holds the password where an error could repeat it. */
  readonly #bareUrl: string;
  readonly #username: string | undefined;
  readonly #password: string | undefined;
  readonly #where: string;
  readonly #redactor = new Redactor();
  #client: Client | undefined;
  #lost: Promise<unknown> = Promise.resolve();
  #unlisten: () => void = () => {};

  constructor(options: RedisTransportOptions) {
    const problem = redisUrlProblem(options.url);
    if (problem !== undefined) throw new ConfigError([{ key: 'redis.url (REDIS_URL)', message: problem }]);
    this.#o = { connectTimeoutMs: CONNECT_TIMEOUT_MS, answerTimeoutMs: ANSWER_TIMEOUT_MS, ...options };
    this.#redactor.addUrlPasswords([options.url]);
    this.#redactor.add(options.password);
    const url = new URL(options.url);
    this.#username = url.username === '' ? undefined : decoded(url.username);
    this.#password = options.password !== '' ? options.password : url.password === '' ? undefined : decoded(url.password);
    url.username = '';
    url.password = '';
    this.#bareUrl = url.toString();
    this.#where = maskUrl(options.url);
  }

  async connect(states: CameraState[], signal: AbortSignal): Promise<void> {
    const client = newClient(this.#bareUrl, this.#username, this.#password, this.#o.connectTimeoutMs);
    this.#client = client;
    // An error or the end of the socket means this client is done (it never reconnects). The
    // listener also keeps an 'error' event from crashing the process.
    this.#lost = new Promise((resolve) => {
      client.on('error', resolve);
      client.on('end', () => resolve('connection closed'));
    });
    // Stopping drops the client at once, whatever it waits for: a shutdown never sits out a limit.
    const stop = (): void => client.destroy();
    signal.addEventListener('abort', stop, { once: true });
    this.#unlisten = () => signal.removeEventListener('abort', stop);
    try {
      await this.#answered(client, 'connecting', this.#o.connectTimeoutMs, async () => {
        await client.connect();
        if (states.length === 0) return;
        const multi = client.multi();
        for (const s of states) multi.set(this.#stateKey(s.camera_id), JSON.stringify(s));
        await multi.exec();
      });
    } catch (err) {
      throw new Error(`Redis at ${this.#where}: ${this.#redactor.scrub(errorMessage(err))}`);
    }
  }

  async publish(e: AnyEnvelope, state: CameraState | undefined): Promise<void> {
    const client = this.#client;
    if (client === undefined || !client.isReady) throw new Error('not connected to Redis');
    const multi = client.multi().publish(this.#o.channelPrefix + e.camera_id, JSON.stringify(e));
    const key = this.#stateKey(e.camera_id);
    if (state === undefined) multi.del(key);
    else multi.set(key, JSON.stringify(state));
    try {
      await this.#answered(client, `PUBLISH ${e.type}`, this.#o.answerTimeoutMs, () => multi.exec());
    } catch (err) {
      throw new Error(this.#redactor.scrub(errorMessage(err)));
    }
  }

  lost(): Promise<unknown> {
    return this.#lost;
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#unlisten();
    this.#unlisten = () => {};
    if (client === undefined) return;
    try {
      if (client.isOpen) await Promise.race([client.close(), new Promise((r) => setTimeout(r, CLOSE_GRACE_MS).unref())]);
    } catch {
      /* closed already */
    } finally {
      client.destroy();
    }
  }

  #stateKey(cameraId: string): string {
    return this.#o.stateKeyPrefix + cameraId;
  }

  /** Runs `work`; without an answer within limitMs the client is dropped and this rejects, saying so. */
  async #answered<T>(client: Client, what: string, limitMs: number, work: () => Promise<T>): Promise<T> {
    let silent = false;
    const watchdog = setTimeout(() => {
      silent = true;
      client.destroy();
    }, limitMs);
    try {
      return await work();
    } catch (err) {
      if (silent) throw new Error(`no answer to ${what} within ${limitMs} ms; the connection is taken as lost`, { cause: err });
      throw err;
    } finally {
      clearTimeout(watchdog);
    }
  }
}

/** RESP2, so Redis before 6 (no HELLO) works too. */
function newClient(url: string, username: string | undefined, password: string | undefined, connectTimeoutMs: number) {
  return createClient({
    url,
    username,
    password,
    RESP: 2,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: false, connectTimeout: connectTimeoutMs },
  });
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a stray "%": the text is its own decoded form
  }
}

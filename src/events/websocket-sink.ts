// The WebSocket clients of /api/ws as one event sink. Each client gets its cameras' current states
// first, then every envelope its filter wants, live. A client never slows the recorder: an envelope
// is serialized once and handed to each client's socket; a client that does not read (its socket
// holds more than maxBufferedBytes unsent) is closed with 1008 rather than fed forever or silently
// thinned out. Closing is the honest choice: a client that lost motion.ended would show motion for
// good, while a client that reconnects is whole again, since it gets the current states first.
import type { Logger } from '../logger.ts';
import type { CameraState } from './camera-states.ts';
import type { EventBus } from './event-bus.ts';
import { cameraWanted, type EventFilter, envelopeWanted } from './event-filter.ts';
import type { AnyEnvelope } from './event-types.ts';
import type { SinkMetrics } from './sink-metrics.ts';

/** What the sink needs of a server-side WebSocket (ws's WebSocket). */
export interface ClientSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Buffer, options: { binary: false }): void;
  close(code: number, reason: string): void;
  terminate(): void;
  ping(): void;
  on(event: 'pong', listener: () => void): unknown;
  on(event: 'close', listener: (code: number) => void): unknown;
}

/** A camera's state as the first messages of a connection carry it. */
export interface StateMessage {
  v: 1;
  type: 'state';
  camera_id: string;
  state: CameraState;
}

export interface WebSocketSinkDeps {
  bus: Pick<EventBus, 'subscribe'>;
  states: { all(): CameraState[] };
  metrics: SinkMetrics;
  log: Logger;
  maxClients: number;
  /** Unsent bytes a client may hold before it is closed as too slow. */
  maxBufferedBytes?: number;
  /** A client that has not answered the last ping when the next is due is dropped. */
  pingIntervalMs?: number;
}

const OPEN = 1;
const SINK = { sink: 'websocket' } as const;
/** Going away: the recorder stops. */
export const CLOSE_STOPPING = 1001;
/** Policy violation: the client does not read fast enough. */
export const CLOSE_TOO_SLOW = 1008;
/** Try again later: every client slot is taken. */
export const CLOSE_FULL = 1013;
/** How long a stop waits for clients to answer the close before it cuts them off. */
const STOP_WAIT_MS = 2000;

interface Client {
  socket: ClientSocket;
  filter: EventFilter;
  /** Answered the last ping. */
  alive: boolean;
  /** Closed by us (too slow, stopping): nothing more is sent. */
  closing: boolean;
  closed: Promise<void>;
}

export class WebSocketSink {
  readonly #deps: WebSocketSinkDeps;
  readonly #clients = new Set<Client>();
  readonly #maxBuffered: number;
  #unsubscribe: (() => void) | undefined;
  #pinger: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(deps: WebSocketSinkDeps) {
    this.#deps = deps;
    this.#maxBuffered = deps.maxBufferedBytes ?? 1024 * 1024;
    deps.metrics.published.inc(SINK, 0);
    deps.metrics.dropped.inc(SINK, 0);
    deps.metrics.websocketClients.set(0);
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Takes a socket just opened: refused with 1013 when every slot is taken, else sent the states and then the live envelopes. */
  accept(socket: ClientSocket, filter: EventFilter): void {
    const { log, maxClients, states } = this.#deps;
    if (this.#stopped || this.#clients.size >= maxClients) {
      const reason = this.#stopped
        ? 'the recorder is stopping'
        : `too many WebSocket clients (event_stream.websocket_max_clients = ${maxClients}); try again later`;
      log.warn({ clients: this.#clients.size, maxClients }, 'websocket client refused: too many clients');
      socket.close(this.#stopped ? CLOSE_STOPPING : CLOSE_FULL, reason);
      return;
    }
    let resolveClosed: () => void = () => undefined;
    const client: Client = { socket, filter, alive: true, closing: false, closed: new Promise((r) => (resolveClosed = r)) };
    this.#clients.add(client);
    this.#deps.metrics.websocketClients.set(this.#clients.size);
    socket.on('pong', () => {
      client.alive = true;
    });
    socket.on('close', (code) => {
      this.#clients.delete(client);
      this.#deps.metrics.websocketClients.set(this.#clients.size);
      log.info({ code, clients: this.#clients.size }, 'websocket client gone');
      resolveClosed();
    });
    // the states and the subscription in one turn: no event falls between them
    this.#unsubscribe ??= this.#deps.bus.subscribe(this.#deliver);
    this.#pinger ??= setInterval(() => this.#ping(), this.#deps.pingIntervalMs ?? 30_000).unref();
    for (const state of states.all()) {
      if (!cameraWanted(filter, state.camera_id)) continue;
      const message: StateMessage = { v: 1, type: 'state', camera_id: state.camera_id, state };
      this.#send(client, Buffer.from(JSON.stringify(message)));
    }
    log.info(
      { clients: this.#clients.size, cameras: filter.cameras ? [...filter.cameras] : 'all', types: filter.types ? [...filter.types] : 'all' },
      'websocket client connected',
    );
  }

  /** Closes every client with 1001 and waits (briefly) for them to go; then cuts off the rest. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    clearInterval(this.#pinger);
    const all = [...this.#clients];
    for (const c of all) {
      c.closing = true;
      c.socket.close(CLOSE_STOPPING, 'the recorder is stopping');
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(all.map((c) => c.closed)), new Promise((r) => (timer = setTimeout(r, STOP_WAIT_MS)))]);
    clearTimeout(timer);
    for (const c of this.#clients) c.socket.terminate();
  }

  readonly #deliver = (e: AnyEnvelope): void => {
    let frame: Buffer | undefined; // made once, for every client that wants it
    for (const c of this.#clients) {
      if (!envelopeWanted(c.filter, e)) continue;
      frame ??= Buffer.from(JSON.stringify(e));
      if (this.#send(c, frame)) this.#deps.metrics.published.inc(SINK);
      else this.#deps.metrics.dropped.inc(SINK);
    }
  };

  /** Hands the JSON to the socket (a text frame) unless the client is closing or too far behind (then closes it); whether it was sent. */
  #send(c: Client, json: Buffer): boolean {
    if (c.closing || c.socket.readyState !== OPEN) return false;
    if (c.socket.bufferedAmount + json.length > this.#maxBuffered) {
      c.closing = true;
      this.#deps.log.warn({ buffered: c.socket.bufferedAmount, limit: this.#maxBuffered }, 'websocket client too slow: closing it');
      c.socket.close(CLOSE_TOO_SLOW, `too slow: over ${this.#maxBuffered} bytes unread; reconnect to get the current states`);
      return false;
    }
    c.socket.send(json, { binary: false });
    return true;
  }

  #ping(): void {
    for (const c of this.#clients) {
      if (!c.alive) {
        this.#deps.log.info('websocket client did not answer a ping: dropping it');
        c.socket.terminate();
        continue;
      }
      c.alive = false;
      c.socket.ping();
    }
  }
}

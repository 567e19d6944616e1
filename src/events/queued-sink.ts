// One outbound sink (Redis, MQTT): the bus puts envelopes in its bounded outbox and one loop here
// publishes them through a transport, connecting and reconnecting with backoff and jitter. Nothing
// the broker does reaches the emitter: a broker that is down only fills the outbox, which drops its
// oldest (counted in camera_events_dropped_total{sink}), and camera_event_sink_up{sink} says so.
// The transports turn their clients' own reconnecting and offline queues off; this loop is the one
// place that decides when to try again, and the outbox the one place that holds what waits.
import { backoffDelay, type BackoffOptions } from '../camera/backoff.ts';
import type { Clock } from '../clock.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { CameraState } from './camera-states.ts';
import type { AnyEnvelope } from './event-types.ts';
import { Outbox } from './outbox.ts';
import type { SinkMetrics } from './sink-metrics.ts';

/** A broker connection as the loop drives it. Every method may throw; the loop reconnects. */
export interface SinkTransport {
  /**
   * Connects; resolves once it can publish. Called again after any failure, on a fresh client.
   * `states` are every camera's current state, to publish at once (retained MQTT state, Redis keys).
   */
  connect(states: CameraState[], signal: AbortSignal): Promise<void>;
  /** Publishes one envelope, and its camera's current state (undefined: the camera was removed). */
  publish(e: AnyEnvelope, state: CameraState | undefined): Promise<void>;
  /** Resolves when the connection is lost after connect() (the loop then reconnects). */
  lost(): Promise<unknown>;
  /** Closes for good (an orderly goodbye where the protocol has one). Must not throw. */
  close(): Promise<void>;
}

export interface QueuedSinkDeps {
  name: string;
  transport: SinkTransport;
  /** The current state of every camera, and of one. */
  states: { all(): CameraState[]; get(id: string): CameraState | undefined };
  metrics: SinkMetrics;
  clock: Clock;
  log: Logger;
  outboxCapacity: number;
  backoff: BackoffOptions;
  random?: () => number;
}

export class QueuedSink {
  readonly name: string;
  readonly #deps: QueuedSinkDeps;
  readonly #outbox: Outbox<AnyEnvelope>;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #up = false;

  constructor(deps: QueuedSinkDeps) {
    this.#deps = deps;
    this.name = deps.name;
    const sink = deps.name;
    this.#outbox = new Outbox({ capacity: deps.outboxCapacity, onDrop: (n) => deps.metrics.dropped.inc({ sink }, n) });
    deps.metrics.up.set({ sink }, 0);
    deps.metrics.dropped.inc({ sink }, 0);
    deps.metrics.published.inc({ sink }, 0);
  }

  /** The bus's listener: queues the envelope and returns at once. */
  readonly deliver = (e: AnyEnvelope): void => {
    this.#outbox.push(e);
    this.#deps.metrics.queued.set({ sink: this.name }, this.#outbox.size);
  };

  get up(): boolean {
    return this.#up;
  }

  get queued(): number {
    return this.#outbox.size;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops publishing; what is still queued is reported, not waited for. Resolves once closed. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    if (this.#outbox.size > 0) this.#deps.log.warn({ sink: this.name, events: this.#outbox.size }, 'events not published at shutdown');
  }

  async #run(): Promise<void> {
    const { transport, clock, log, backoff } = this.#deps;
    const signal = this.#stop.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        await transport.connect(this.#deps.states.all(), signal);
      } catch (err) {
        if (signal.aborted) break;
        const delayMs = backoffDelay(failures++, backoff, this.#deps.random);
        log.warn({ sink: this.name, err: errorMessage(err), retryInMs: delayMs }, 'event sink cannot connect; will retry');
        await transport.close();
        await clock.sleep(delayMs, signal).catch(() => undefined);
        continue;
      }
      this.#setUp(true);
      if (failures > 0) log.info({ sink: this.name }, 'event sink connected again');
      failures = 0;
      const lost = transport.lost().then(() => 'lost' as const);
      const why = await this.#publishUntil(lost, signal);
      this.#setUp(false);
      await transport.close();
      if (signal.aborted) break;
      const delayMs = backoffDelay(failures++, backoff, this.#deps.random);
      log.warn({ sink: this.name, err: why, retryInMs: delayMs }, 'event sink lost its broker; will reconnect');
      await clock.sleep(delayMs, signal).catch(() => undefined);
    }
    this.#setUp(false);
    await transport.close();
  }

  /** Publishes queued envelopes in order until the connection is lost or a publish fails; says why. */
  async #publishUntil(lost: Promise<'lost'>, signal: AbortSignal): Promise<string> {
    const { transport, metrics, states } = this.#deps;
    const sink = this.name;
    const gone = new AbortController(); // aborted once the connection is lost
    void lost.then(() => gone.abort());
    const waitSignal = AbortSignal.any([signal, gone.signal]);
    while (!waitSignal.aborted) {
      await this.#outbox.waitForItem(waitSignal);
      const e = this.#outbox.peek();
      if (!e || waitSignal.aborted) continue;
      try {
        await transport.publish(e, states.get(e.camera_id));
      } catch (err) {
        return errorMessage(err); // the envelope stays first in the outbox for the next connection
      }
      // Only now is it gone: an envelope dropped while it was being published is not shifted twice.
      if (this.#outbox.peek() === e) this.#outbox.shift();
      metrics.published.inc({ sink });
      metrics.queued.set({ sink }, this.#outbox.size);
    }
    return gone.signal.aborted ? 'connection lost' : 'stopping';
  }

  #setUp(up: boolean): void {
    this.#up = up;
    this.#deps.metrics.up.set({ sink: this.name }, up ? 1 : 0);
  }
}

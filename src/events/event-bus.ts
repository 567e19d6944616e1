// The one in-process stream of domain events. Components emit; the camera states, the sinks (Redis,
// MQTT) and WebSocket clients listen. Emitting never waits and never throws into the emitter: a
// listener that fails is logged and the others still get the event. Listeners must be quick; a
// sink only puts the envelope in its own outbox (outbox.ts) and publishes it later.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.ts';
import { type AnyEnvelope, ENVELOPE_VERSION, type Envelope, type EventData, type EventType } from './event-types.ts';

export type EventListener = (e: AnyEnvelope) => void;

/** What a component needs to tell: the bus, or nothing (a component made without one). */
export type EmitEvent = <T extends EventType>(type: T, cameraId: string, data: EventData[T], atMs?: number) => void;

export class EventBus {
  readonly #listeners = new Set<EventListener>();
  readonly #log: Logger;
  readonly #now: () => number;
  #emitted = 0;

  constructor(deps: { log: Logger; now?: () => number }) {
    this.#log = deps.log;
    this.#now = deps.now ?? Date.now;
  }

  /** Envelopes emitted since start. */
  get emitted(): number {
    return this.#emitted;
  }

  /** Makes the envelope and hands it to every listener, in the order they subscribed. */
  emit<T extends EventType>(type: T, cameraId: string, data: EventData[T], atMs: number = this.#now()): Envelope<T> {
    const e: Envelope<T> = { v: ENVELOPE_VERSION, id: randomUUID(), type, camera_id: cameraId, time: new Date(atMs).toISOString(), data };
    this.#emitted++;
    for (const listener of this.#listeners) {
      try {
        listener(e as unknown as AnyEnvelope);
      } catch (err) {
        this.#log.error({ err, type, camera: cameraId }, 'an event listener failed; the others still got the event');
      }
    }
    return e;
  }

  /** The bus's emit as a plain function, for components that only tell. */
  readonly emitter: EmitEvent = (type, cameraId, data, atMs) => {
    this.emit(type, cameraId, data, atMs);
  };

  /** Listens from now on; returns the function that stops it. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listeners(): number {
    return this.#listeners.size;
  }
}

/** For components made without a bus (unit tests, tools): telling goes nowhere. */
export const emitNothing: EmitEvent = () => undefined;

// The one way an evidence-clip event comes in, whoever sends it: POST /api/events and the MQTT
// trigger topics both hand the body here. It is checked field by field, stored as a pending event
// (so it survives a restart) and the worker is told. An `event_id` makes it idempotent: the same id
// again, a retried POST or a QoS 1 re-delivery, returns the event already stored and adds nothing.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import type { EmitEvent } from '../events/event-bus.ts';
import type { Logger } from '../logger.ts';
import { ClipError } from './clip-error.ts';
import { parseEventRequest } from './event-request.ts';
import type { EventRecord, EventStore } from './event-store.ts';
import type { EventWorker } from './event-worker.ts';

export interface EventIntakeDeps {
  events: EventStore;
  /** Only told that there is new work. */
  worker: Pick<EventWorker, 'wake'>;
  clock: Clock;
  config: Pick<Config, 'events'>;
  log: Logger;
  /** The ids of the cameras recording now: an event names one of them. */
  currentCameras: () => string[];
  emit: EmitEvent;
}

export interface Accepted {
  record: EventRecord;
  /** The event_id was known: `record` is the event stored the first time, and nothing was added. */
  duplicate: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export class EventIntake {
  readonly #deps: EventIntakeDeps;

  constructor(deps: EventIntakeDeps) {
    this.#deps = deps;
  }

  /**
   * Throws ClipError for a bad body (its `field` names what to fix) or an event_id another camera's
   * event holds (`conflict`), EventDiskError when the event cannot be written: nothing is stored then.
   */
  async accept(body: unknown): Promise<Accepted> {
    const { events, worker, clock, config, log, currentCameras, emit } = this.#deps;
    const now = clock.now();
    const r = parseEventRequest(body, {
      cameras: new Set(currentCameras()),
      preSeconds: config.events.preSeconds,
      postSeconds: config.events.postSeconds,
      maxSeconds: config.events.maxSeconds,
      metadataMaxBytes: config.events.metadataMaxBytes,
      framesDefault: config.events.framesDefault,
      framesMax: config.events.framesMax,
      now,
    });
    const rec: EventRecord = {
      id: r.eventId ?? randomUUID(),
      camera: r.camera,
      at: iso(r.atMs),
      pre_seconds: r.preSeconds,
      post_seconds: r.postSeconds,
      metadata: r.metadata,
      frames_requested: r.frames,
      frames_mode: r.framesMode,
      status: 'pending',
      created_at: iso(now),
      updated_at: iso(now),
    };
    const { record, duplicate } = await events.add(rec);
    if (duplicate) {
      // The same id from another camera is not a repeat but a clash: saying so beats dropping an event.
      if (record.camera !== rec.camera) {
        throw new ClipError(
          `event_id "${rec.id}" is already an event of camera ${record.camera}; give each camera's event its own event_id`,
          'conflict',
          'event_id',
        );
      }
      log.info({ event: record.id, camera: record.camera, status: record.status }, 'event repeated; the stored one stands');
      return { record, duplicate: true };
    }
    log.info({ event: record.id, camera: record.camera, at: record.at, frames: r.frames }, 'event accepted');
    emit('event.accepted', record.camera, {
      event_id: record.id,
      at: record.at,
      pre_seconds: record.pre_seconds,
      post_seconds: record.post_seconds,
      metadata: record.metadata,
    });
    worker.wake();
    return { record, duplicate: false };
  }
}

// The intake a trigger over MQTT goes to: what POST /api/events does with its body (validate, store
// the pending event, wake the worker), as a function the triggers can call. One request, one event:
// nothing here recognises a repeat yet, so `duplicate` is always false.
import { randomUUID } from 'node:crypto';
import type { EventRecord, EventStore } from '../clips/event-store.ts';
import { parseEventRequest } from '../clips/event-request.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import type { AcceptTrigger } from './mqtt-triggers.ts';

export interface TriggerIntakeDeps {
  limits: Config['events'];
  clock: Clock;
  events: Pick<EventStore, 'save'>;
  worker: { wake(): void };
  /** The ids of the cameras recorded now. */
  cameras(): string[];
  log: Logger;
}

export function triggerIntake({ limits, clock, events, worker, cameras, log }: TriggerIntakeDeps): AcceptTrigger {
  return async (body) => {
    const r = parseEventRequest(body, {
      cameras: new Set(cameras()),
      preSeconds: limits.preSeconds,
      postSeconds: limits.postSeconds,
      maxSeconds: limits.maxSeconds,
      metadataMaxBytes: limits.metadataMaxBytes,
      now: clock.now(),
    });
    const now = new Date(clock.now()).toISOString();
    const rec: EventRecord = {
      id: randomUUID(),
      camera: r.camera,
      at: new Date(r.atMs).toISOString(),
      pre_seconds: r.preSeconds,
      post_seconds: r.postSeconds,
      metadata: r.metadata,
      status: 'pending',
      created_at: now,
      updated_at: now,
    };
    await events.save(rec);
    log.info({ event: rec.id, camera: rec.camera, at: rec.at, via: 'mqtt' }, 'event accepted');
    worker.wake();
    return { id: rec.id, duplicate: false };
  };
}

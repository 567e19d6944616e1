// Evidence-clip events: accepted at once (202), cut by the event worker once the footage after
// `at` is stored, and followed at /api/events/{id}.
import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { EventRecord } from '../../clips/event-store.ts';
import { parseEventRequest } from '../../clips/event-request.ts';
import type { RouteDeps } from '../api.ts';
import { HttpError } from '../request-input.ts';
import { errors } from '../schemas/common.ts';
import { EventAccepted, EventInput, EventParams, EventRecord as EventRecordSchema } from '../schemas/events.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

export function eventRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { config, clock, events, worker } = deps;
  const tags = ['events'];

  api.post(
    '/events',
    {
      schema: {
        summary: 'Report an event: a clip from pre_seconds before to post_seconds after `at` is cut and stored',
        tags,
        body: EventInput,
        response: { 202: EventAccepted, ...errors(400, 413, 415, 503, 507) },
      },
    },
    async (req, reply) => {
      const r = parseEventRequest(req.body, {
        cameras: new Set(deps.currentCameras()),
        preSeconds: config.events.preSeconds,
        postSeconds: config.events.postSeconds,
        maxSeconds: config.events.maxSeconds,
        metadataMaxBytes: config.events.metadataMaxBytes,
        now: clock.now(),
      });
      const now = iso(clock.now());
      const rec: EventRecord = {
        id: randomUUID(),
        camera: r.camera,
        at: iso(r.atMs),
        pre_seconds: r.preSeconds,
        post_seconds: r.postSeconds,
        metadata: r.metadata,
        status: 'pending',
        created_at: now,
        updated_at: now,
      };
      await events.save(rec);
      req.log.info({ event: rec.id, camera: rec.camera, at: rec.at }, 'event accepted');
      worker.wake();
      return reply.code(202).send({
        id: rec.id,
        status: rec.status,
        camera: rec.camera,
        at: rec.at,
        pre_seconds: rec.pre_seconds,
        post_seconds: rec.post_seconds,
        status_url: `/api/events/${rec.id}`,
      });
    },
  );

  api.get(
    '/events/:id',
    {
      schema: {
        summary: 'An event and, once done, where its clip is stored (or why it failed)',
        tags,
        params: EventParams,
        response: { 200: EventRecordSchema, ...errors(400, 404) },
      },
    },
    async (req) => {
      const rec = events.get(req.params.id);
      if (!rec) throw new HttpError(404, `no event ${req.params.id.slice(0, 64)}`, 'id');
      return rec;
    },
  );
}

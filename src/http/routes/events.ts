// Evidence-clip events: accepted at once (202), cut by the event worker once the footage after
// `at` is stored, and followed at /api/events/{id}. A repeated event_id is answered 200 with the
// event stored the first time (event-intake.ts holds the rules; the MQTT triggers share them).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { EventRecord } from '../../clips/event-store.ts';
import type { RouteDeps } from '../api.ts';
import { HttpError } from '../request-input.ts';
import { errors } from '../schemas/common.ts';
import { EventAccepted, EventInput, EventParams, EventRecord as EventRecordSchema } from '../schemas/events.ts';

export function eventRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { events, intake } = deps;
  const tags = ['events'];

  api.post(
    '/events',
    {
      schema: {
        summary: 'Report an event: a clip from pre_seconds before to post_seconds after `at` is cut and stored, with evidence frames if asked',
        tags,
        body: EventInput,
        response: {
          200: { ...EventAccepted, description: 'A repeat: the event_id is known. The event stored the first time, duplicate: true; nothing was added' },
          202: EventAccepted,
          ...errors(400, 409, 413, 415, 503, 507),
        },
      },
    },
    async (req, reply) => {
      const { record, duplicate } = await intake.accept(req.body);
      return reply.code(duplicate ? 200 : 202).send(acceptedAnswer(record, duplicate));
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

function acceptedAnswer(rec: EventRecord, duplicate: boolean) {
  return {
    id: rec.id,
    status: rec.status,
    duplicate,
    camera: rec.camera,
    at: rec.at,
    pre_seconds: rec.pre_seconds,
    post_seconds: rec.post_seconds,
    frames_requested: rec.frames_requested ?? 0,
    frames_mode: rec.frames_mode ?? 'spread',
    status_url: `/api/events/${rec.id}`,
  };
}

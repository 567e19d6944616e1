// /health, /ready and /metrics: open (no token), GET and HEAD only, bodies scrubbed of secrets.
// Kubernetes probes and Prometheus depend on their exact status codes and bodies.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import type { Redactor } from '../redact.ts';
import { ErrorSchema } from './schemas/common.ts';

export interface HttpViews {
  /** Liveness body: per-camera state and store status. */
  health(): unknown;
  /** Readiness: empty list means ready, otherwise why not. */
  notReadyReasons(): string[];
}

export const PROBE_PATHS = ['/health', '/ready', '/metrics'];
const OTHER_METHODS = ['DELETE', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const;

/** Answers 405 with Allow, as the probes take GET and HEAD only. */
export function methodNotAllowed(method: string, reply: FastifyReply): FastifyReply {
  return reply
    .code(405)
    .header('Allow', 'GET, HEAD')
    .send({ error: `method ${method} not allowed` });
}

export function probeRoutes(app: FastifyInstance, deps: { registry: Registry; views: HttpViews; redactor: Redactor }): void {
  const json = (reply: FastifyReply, status: number, body: unknown): FastifyReply =>
    reply
      .code(status)
      .type('application/json; charset=utf-8')
      .header('Cache-Control', 'no-store')
      .send(deps.redactor.scrub(JSON.stringify(body)));
  const tags = ['probes'];
  app.get(
    '/health',
    {
      exposeHeadRoute: true,
      schema: {
        summary: "Liveness: each camera's state and the store's status",
        tags,
        response: {
          200: {
            description: 'Always 200 while the process runs; status is ok or degraded',
            type: 'object',
            additionalProperties: true,
            examples: [{ status: 'ok', cameras: [{ id: 'camera-1', state: 'recording' }], store: { up: true } }],
          },
        },
      },
    },
    (_req, reply) => json(reply, 200, deps.views.health()),
  );
  app.get(
    '/ready',
    {
      exposeHeadRoute: true,
      schema: {
        summary: 'Readiness: 200 when the store answers and the recorder can take work, 503 with the reasons otherwise',
        tags,
        response: {
          200: {
            description: 'Ready',
            type: 'object',
            properties: { ready: { type: 'boolean' }, reasons: { type: 'array', items: { type: 'string' } } },
            examples: [{ ready: true, reasons: [] }],
          },
          503: {
            description: 'Not ready, with the reasons',
            type: 'object',
            properties: { ready: { type: 'boolean' }, reasons: { type: 'array', items: { type: 'string' } } },
            examples: [{ ready: false, reasons: ['the store has not answered in the last 60 s'] }],
          },
        },
      },
    },
    (_req, reply) => {
      const reasons = deps.views.notReadyReasons();
      return json(reply, reasons.length === 0 ? 200 : 503, { ready: reasons.length === 0, reasons });
    },
  );
  app.get(
    '/metrics',
    {
      exposeHeadRoute: true,
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        tags,
        produces: ['text/plain'],
        response: { 200: { description: 'The metrics', type: 'string', examples: ['camera_recorder_segments_uploaded_total{camera_id="camera-1"} 42\n'] } },
      },
    },
    async (_req, reply) => {
      const body = deps.redactor.scrub(await deps.registry.metrics());
      return reply.code(200).type(deps.registry.contentType).send(body);
    },
  );
  for (const url of PROBE_PATHS) {
    app.route({
      method: [...OTHER_METHODS],
      url,
      schema: { summary: `${url} takes GET and HEAD only`, tags, response: { 405: { ...ErrorSchema, description: 'Allow: GET, HEAD' } } },
      handler: (req, reply) => methodNotAllowed(req.method, reply),
    });
  }
}

// The HTTP server on Fastify: the probes, the /api routes, the OpenAPI document and its page. Here
// is what every request shares: its id (in the logs and the X-Request-Id header), the security
// headers, the limits and timeouts, and the one error handler that turns every failure into
// { error, field? } without a stack trace.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import helmet from '@fastify/helmet';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { CameraService } from '../camera/camera-service.ts';
import type { Logger } from '../logger.ts';
import type { Redactor } from '../redact.ts';
import { type ApiDeps, apiPlugin } from './api.ts';
import type { FrameService } from '../frames/frame-service.ts';
import { toHttpError } from './error-reply.ts';
import { registerOpenApi } from './openapi.ts';
import { type IngestDeps, ingestPlugin } from './routes/ingest.ts';
import type { WebSocketDeps } from './routes/websocket.ts';
import { type HttpViews, methodNotAllowed, probeRoutes } from './probes.ts';
import { decodeComponent, HttpError } from './request-input.ts';

export type { HttpViews };

export interface HttpDeps {
  registry: Registry;
  views: HttpViews;
  redactor: Redactor;
  log: Logger;
  /** The /api routes; without them (no API_TOKEN) /api answers that the routes are off. */
  api?: ApiDeps;
  /** The camera registry behind /api/cameras. */
  cameras?: CameraService;
  /** The cameras' snapshots and analysis, behind /api/cameras/{id}/snapshot.jpg. */
  frames?: FrameService;
  /** Pictures pushed by http_push cameras (POST /api/ingest/push/{camera_id}). */
  ingest?: IngestDeps;
  /** The event stream behind the WebSocket at /api/ws. */
  events?: WebSocketDeps;
}

export const BODY_LIMIT = 64 * 1024;
/** A client's request id is kept when it is this plain; anything else is replaced by a UUID. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Time a shutdown waits for requests in flight (a clip download) before cutting them off. */
const CLOSE_GRACE_MS = 5000;
/** What the third path part names, for a 400 on its percent-encoding. */
const PATH_PARAM: Record<string, string> = { cameras: 'camera', events: 'id' };

export async function buildServer(deps: HttpDeps, onRoute?: (route: { method: string | string[]; url: string }) => void): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // Probes every few seconds would drown the log; /api requests are logged by the onResponse hook.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: BODY_LIMIT,
    requestTimeout: 30_000, // the whole request (headers and body) must arrive within this
    connectionTimeout: 600_000, // an idle socket; long enough for a clip export waiting in the queue
    keepAliveTimeout: 5000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // The probes' 405 and the /api 404 are ours; a broken escape in the path is a 400 naming the part.
    frameworkErrors: (err, req, reply) => replyError(err as FastifyError, req, reply),
    routerOptions: { maxParamLength: 500 },
    // A HEAD of a clip would cut it only to throw it away: HEAD is offered where it is cheap (the probes).
    exposeHeadRoutes: false,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, verbose: true } },
  });
  // Response schemas document the answers (and are checked against their examples by a test);
  // bodies are written with JSON.stringify, so a field the schema forgot is never silently dropped.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.removeContentTypeParser('text/plain'); // bodies are JSON only: anything else is a 415
  if (onRoute) app.addHook('onRoute', (r) => onRoute({ method: r.method, url: r.url }));

  await app.register(helmet, { contentSecurityPolicy: { directives: { 'upgrade-insecure-requests': null } } });
  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-Request-Id', req.id);
    // `//` or `//[` parse as a URL with an empty or broken host: the client's mistake, not ours.
    if (!URL.canParse(req.url, 'http://localhost')) throw new HttpError(400, 'the request path is not a valid URL path; it must start with a single /', 'path');
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('Cache-Control', 'no-store');
    // JSON is scrubbed of secrets, except a segment listing: its presigned URLs' signatures are the point.
    const json = String(reply.getHeader('content-type') ?? '').includes('json');
    if (typeof payload === 'string' && json && (reply.statusCode >= 400 || !/^\/api\/cameras\/[^/]+\/segments\b/.test(req.url)))
      return deps.redactor.scrub(payload);
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    if (!isApi(req.url)) return;
    // Changes (a camera added, an event posted) are an audit trail at info, with the request id a
    // client can quote; reads only at debug.
    const line = { method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    // a pushed picture is a read's worth: several a second per camera would drown the audit trail
    const picture = req.url.startsWith('/api/ingest/') && reply.statusCode < 400;
    if (req.method === 'GET' || req.method === 'HEAD' || picture) req.log.debug(line, 'api request');
    else req.log.info(line, 'api request');
  });
  app.setErrorHandler((err, req, reply) => replyError(err as FastifyError, req, reply));
  app.setNotFoundHandler((req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(req.method, reply);
    return reply.code(404).send({ error: `no route ${req.url.split('?')[0]}; try /health, /ready or /metrics` });
  });

  // Before the routes: an upgrade request goes through the routes' hooks (the token, the query)
  // like any request; only /api/ws keeps the socket, which its route closes at stop (1001).
  await app.register(websocket, {
    options: { maxPayload: 4096 }, // clients have nothing to say
    preClose: async () => undefined,
    errorHandler: (err, socket, req) => {
      req.log.debug({ err }, 'websocket client failed');
      socket.terminate();
    },
  });
  await registerOpenApi(app);
  probeRoutes(app, deps);
  await app.register(apiPlugin, { prefix: '/api', api: deps.api, cameras: deps.cameras, frames: deps.frames, events: deps.events });
  // its own context: a camera's push token is taken as well as the API token (routes/ingest.ts)
  if (deps.ingest) await app.register(ingestPlugin, { prefix: '/api/ingest', ingest: deps.ingest });
  return app;
}

const isApi = (url: string): boolean => url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');

function replyError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  let e = toHttpError(err);
  if ((err as FastifyError).code === 'FST_ERR_BAD_URL') e = badPath(req);
  if ((err as FastifyError).code === 'FST_ERR_MAX_PARAM_LENGTH') e = new HttpError(414, 'a path part is over 500 characters', 'path');
  if (e.status === 500) req.log.error({ err, url: req.url.split('?')[0] }, 'http request failed');
  else if (e.status >= 500) req.log.warn({ err, url: req.url.split('?')[0] }, 'api request failed');
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy();
    return reply;
  }
  return reply
    .code(e.status)
    .headers(e.headers)
    .send({ error: e.message, ...(e.field ? { field: e.field } : {}) });
}

/** The 400 for a path whose percent-encoding is broken, naming the part; behind the token under /api. */
function badPath(req: FastifyRequest): HttpError {
  const raw = (req.url.split('?')[0] ?? '').split('/').filter(Boolean);
  try {
    for (const [i, p] of raw.entries()) decodeComponent(p, i === 2 ? (PATH_PARAM[raw[1] ?? ''] ?? 'path') : 'path');
  } catch (e) {
    return e as HttpError;
  }
  return new HttpError(400, 'the request path is not valid percent-encoding', 'path');
}

/** The server with the lifecycle the app expects: listen, then stop that drains. */
export class HttpServer {
  #deps: HttpDeps;
  #app: FastifyInstance | undefined;

  constructor(deps: HttpDeps) {
    this.#deps = deps;
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    this.#app ??= await buildServer(this.#deps);
    await this.#app.listen({ port, host });
    return this.#app.server.address() as AddressInfo;
  }

  /** Stops taking requests, lets those in flight finish for a few seconds, then cuts the rest off. */
  async stop(): Promise<void> {
    const app = this.#app;
    if (!app?.server.listening) return;
    const cutOff = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
    try {
      await app.close();
    } finally {
      clearTimeout(cutOff);
    }
  }
}

// /api: footage, evidence-clip events, the camera registry and the event stream (/api/ws), behind
// the bearer token. Errors are JSON { error, field? } (see error-reply.ts); a success is JSON
// except a clip.
import type { FastifyInstance } from 'fastify';
import type { CameraService } from '../camera/camera-service.ts';
import type { Clock } from '../clock.ts';
import type { EventStore } from '../clips/event-store.ts';
import type { EventIntake } from '../clips/event-intake.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { bearerCheck } from './auth.ts';
import { HttpError, parseQuery } from './request-input.ts';
import { cameraRoutes } from './routes/cameras.ts';
import { eventRoutes } from './routes/events.ts';
import { footageRoutes } from './routes/footage.ts';
import { frameRoutes } from './routes/frames.ts';
import { type WebSocketDeps, websocketRoutes } from './routes/websocket.ts';
import type { FrameService } from '../frames/frame-service.ts';

export interface ApiDeps {
  config: Config;
  store: ObjectStore;
  events: EventStore;
  /** Takes POST /api/events bodies (as it takes the MQTT triggers). */
  intake: Pick<EventIntake, 'accept'>;
  clock: Clock;
  log: Logger;
}

/** The API's dependencies as the routes use them: the ids of the cameras recording now. */
export interface RouteDeps extends ApiDeps {
  currentCameras(): string[];
}

/** Registers the /api routes in their own context, so the token check covers them and nothing else. */
export async function apiPlugin(
  app: FastifyInstance,
  opts: { api: ApiDeps | undefined; cameras: CameraService | undefined; frames: FrameService | undefined; events: WebSocketDeps | undefined },
): Promise<void> {
  const { api, cameras, frames, events } = opts;
  const check = bearerCheck(api?.config.api.token ?? '');
  app.addHook('onRequest', async (req) => check(req));
  // Strict decoding: a broken escape is a 400 naming the parameter, not a U+FFFD passed on as a value.
  app.addHook('preValidation', async (req) => {
    const q = req.url.indexOf('?');
    req.query = q < 0 ? {} : parseQuery(req.url.slice(q + 1));
  });
  app.setNotFoundHandler(async (req) => {
    throw new HttpError(404, `no route ${req.method} ${req.url.split('?')[0]}; see README "Finding and exporting footage"`);
  });
  if (!api) return;
  const deps: RouteDeps = {
    ...api,
    currentCameras: () => (cameras ? cameras.list().map((c) => c.id) : api.config.cameras.map((c) => c.id)),
  };
  footageRoutes(app, deps);
  eventRoutes(app, deps);
  cameraRoutes(app, cameras);
  frameRoutes(app, { frames, maxAgeMs: api.config.analysis.snapshotMaxAgeMs, now: () => api.clock.now() });
  websocketRoutes(app, { events, maxClients: api.config.eventStream.websocketMaxClients, log: api.log });
}

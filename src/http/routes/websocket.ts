// GET /api/ws: the event stream over a WebSocket, for integrators and the web page. Everything a
// client can get wrong is answered before the upgrade, as JSON like every /api error: 401 for the
// token, 400 naming camera or type, 404 while the WebSocket is off, 426 for a plain GET. The
// clients themselves are the WebSocketSink's (src/events/websocket-sink.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from '@sinclair/typebox';
import type { CameraStates } from '../../events/camera-states.ts';
import type { EventBus } from '../../events/event-bus.ts';
import { type EventFilter, FilterError, parseEventFilter } from '../../events/event-filter.ts';
import type { SinkMetrics } from '../../events/sink-metrics.ts';
import { WebSocketSink } from '../../events/websocket-sink.ts';
import type { Logger } from '../../logger.ts';
import type { TokenInQuery } from '../auth.ts';
import { HttpError } from '../request-input.ts';
import { errors } from '../schemas/common.ts';
import { StreamMessage, StreamQuery } from '../schemas/websocket.ts';

/** The event stream as the WebSocket needs it (the app's EventStream). */
export interface WebSocketDeps {
  bus: Pick<EventBus, 'subscribe'>;
  states: Pick<CameraStates, 'all'>;
  metrics: SinkMetrics;
  /** Tests make these small; the defaults are the WebSocketSink's. */
  maxBufferedBytes?: number;
  pingIntervalMs?: number;
}

const NOT_WEBSOCKET = 'GET /api/ws is a WebSocket: connect with a WebSocket client (ws://…/api/ws), not a plain GET';

export function websocketRoutes(app: FastifyInstance, opts: { events: WebSocketDeps | undefined; maxClients: number; log: Logger }): void {
  const { events, maxClients } = opts;
  const sink = events && maxClients > 0 ? new WebSocketSink({ ...events, maxClients, log: opts.log.child({ sink: 'websocket' }) }) : undefined;
  // before Fastify closes the server: every client hears 1001, not a dropped connection
  if (sink) app.addHook('preClose', async () => sink.stop());
  const filters = new WeakMap<FastifyRequest, EventFilter>();
  const config: TokenInQuery = { tokenInQuery: true };

  app.route({
    method: 'GET',
    url: '/ws',
    config,
    schema: {
      summary: 'The event stream as a WebSocket: the cameras’ current states, then every event envelope, live',
      description:
        'Token: `Authorization: Bearer <API_TOKEN>`, or where a header cannot be set (a browser) the API token in the query parameter `token`. Filters: `camera` and `type` (with `prefix.*`). See README "Events → WebSocket".',
      tags: ['events'],
      querystring: StreamQuery,
      response: { 101: StreamMessage, ...errors(400, 404, 426, 503) },
    },
    preHandler: async (req) => {
      if (!events) throw new HttpError(503, 'the event stream is not running in this process');
      if (!sink) throw new HttpError(404, 'the WebSocket is off: set event_stream.websocket_max_clients (WEBSOCKET_MAX_CLIENTS) above 0');
      try {
        filters.set(req, parseEventFilter(req.query as Static<typeof StreamQuery>));
      } catch (err) {
        if (err instanceof FilterError) throw new HttpError(400, err.message, err.param);
        throw err;
      }
      if (!req.ws) throw new HttpError(426, NOT_WEBSOCKET, undefined, { Upgrade: 'websocket' });
    },
    handler: async () => {
      throw new HttpError(426, NOT_WEBSOCKET, undefined, { Upgrade: 'websocket' });
    },
    wsHandler: (socket, req) => {
      const filter = filters.get(req);
      if (sink && filter) sink.accept(socket, filter);
      else socket.close(1011, 'no filter for this connection');
    },
  });
}

// GET /api/ws: the query that filters the stream, and the messages it carries, described as far as
// OpenAPI describes a WebSocket (the 101 answer and the JSON of each message). The full contract
// of an envelope is docs/events/envelope.v1.schema.json, of a state docs/events/camera-state.v1.schema.json.
import { Type } from '@sinclair/typebox';
import { EVENT_TYPES } from '../../events/event-types.ts';

export const StreamQuery = Type.Object(
  {
    camera: Type.Optional(
      Type.String({ description: 'Only these cameras, comma-separated; a camera added later is streamed once it exists.', examples: ['front-door,till-2'] }),
    ),
    type: Type.Optional(
      Type.String({
        description: `Only these event types, comma-separated; \`prefix.*\` takes every type under it (motion.*). Types: ${EVENT_TYPES.join(', ')}.`,
        examples: ['health.problem,motion.*'],
      }),
    ),
    token: Type.Optional(
      Type.String({
        description:
          'The API token, for clients that cannot set the Authorization header (a browser). Taken on this route only; a proxy in front may log it with the URL, so prefer the header where you can.',
      }),
    ),
  },
  { additionalProperties: false },
);

const STATE_EXAMPLE = {
  v: 1,
  type: 'state',
  camera_id: 'front-door',
  state: {
    v: 1,
    camera_id: 'front-door',
    source_type: 'rtsp',
    connected: true,
    since: '2025-12-14T14:00:02.120Z',
    disconnect_reason: null,
    problems: [],
    motion: false,
    last_segment: { key: 'front-door/20251214/140000_front-door.mp4', end: '2025-12-14T14:00:10.000Z' },
    updated: '2025-12-14T14:00:11.310Z',
  },
};
const ENVELOPE_EXAMPLE = {
  v: 1,
  id: '3f2b9c4e-8d1a-4b6f-9e2d-7c5a1b0f4e21',
  type: 'motion.detected',
  camera_id: 'front-door',
  time: '2025-12-14T14:03:00.400Z',
  data: { area: 0.12, box: { x: 0.4, y: 0.3, w: 0.2, h: 0.35 }, since: '2025-12-14T14:03:00.400Z' },
};

/** One text message: a camera's state (the first messages of a connection) or an event envelope. */
export const StreamMessage = Type.Union(
  [
    Type.Object(
      {
        v: Type.Literal(1),
        type: Type.Literal('state'),
        camera_id: Type.String(),
        state: Type.Object({}, { additionalProperties: true, description: 'The camera state, as docs/events/camera-state.v1.schema.json.' }),
      },
      { description: 'A camera’s current state: one per camera the filter takes, sent first on connect.' },
    ),
    Type.Object(
      {
        v: Type.Literal(1),
        id: Type.String(),
        type: Type.Union(EVENT_TYPES.map((t) => Type.Literal(t))),
        camera_id: Type.String(),
        time: Type.String(),
        data: Type.Object({}, { additionalProperties: true }),
      },
      { description: 'An event envelope, as docs/events/envelope.v1.schema.json; the same as on Redis and MQTT.' },
    ),
  ],
  {
    description:
      'Switching Protocols: the WebSocket is open. The server sends text messages, each one JSON object: first one `state` message per camera the filter takes, then every event envelope it takes, live. Messages from the client are ignored. Closes: 1001 the recorder stops, 1008 the client read too slowly (reconnect), 1013 too many clients (try again later).',
    examples: [STATE_EXAMPLE, ENVELOPE_EXAMPLE],
  },
);

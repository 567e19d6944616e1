// Evidence-clip events: POST /api/events and GET /api/events/{id}.
import { Type } from '@sinclair/typebox';
import { EVENT_ID } from '../../clips/event-request.ts';

export const EventInput = Type.Object(
  {
    camera: Type.String({ description: 'The id of a current camera.', examples: ['camera-1'] }),
    at: Type.Optional(Type.String({ description: 'When it happened, ISO 8601; now when left out.', examples: ['2025-12-14T15:03:00+01:00'] })),
    pre_seconds: Type.Optional(
      Type.Number({ minimum: 0, description: 'Seconds of footage before at; events.pre_seconds when left out, at most events.max_seconds.' }),
    ),
    post_seconds: Type.Optional(
      Type.Number({ minimum: 0, description: 'Seconds of footage after at; events.post_seconds when left out, at most events.max_seconds.' }),
    ),
    metadata: Type.Optional(Type.Unknown({ description: 'Any JSON, stored beside the clip; at most 32 levels deep and events.metadata_max_bytes.' })),
    event_id: Type.Optional(
      Type.String({
        pattern: EVENT_ID.source,
        description:
          'Your own id for the event, 8 to 64 letters, digits, _ or -, starting with a letter or digit. It becomes the event id (in the keys); the same event_id again is answered 200 with the stored event and adds nothing.',
        examples: ['till-7-R1043-20251214'],
      }),
    ),
    frames: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'Evidence frames (PNG) to store with the clip; events.frames_default when left out, at most events.frames_max.',
      }),
    ),
    frames_mode: Type.Optional(
      Type.Union([Type.Literal('spread'), Type.Literal('before')], {
        description: 'spread (default): evenly over the whole clip window; before: one a second, the last at `at`.',
      }),
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        camera: 'camera-1',
        at: '2025-12-14T15:03:00+01:00',
        pre_seconds: 10,
        post_seconds: 5,
        metadata: { checkout: 7, receipt: 'R-1043' },
        event_id: 'till-7-R1043-20251214',
        frames: 3,
      },
    ],
  },
);

const Status = Type.Union([Type.Literal('pending'), Type.Literal('done'), Type.Literal('failed')]);
const FramesMode = Type.Union([Type.Literal('spread'), Type.Literal('before')]);

export const EventAccepted = Type.Object(
  {
    id: Type.String({ description: 'The event_id when one was given, else a UUID.' }),
    status: Status,
    duplicate: Type.Boolean({ description: 'true: the event_id was known; this is the event stored the first time, and nothing was added.' }),
    camera: Type.String(),
    at: Type.String(),
    pre_seconds: Type.Number(),
    post_seconds: Type.Number(),
    frames_requested: Type.Integer({ description: 'Evidence frames the clip will have.' }),
    frames_mode: FramesMode,
    status_url: Type.String({ description: 'Where to GET the event until it is done or failed.' }),
  },
  {
    description: 'Accepted: follow status_url until done or failed',
    examples: [
      {
        id: '0d6f7c1e-5b8a-4c1e-9a63-2f1b1a4f0b11',
        status: 'pending',
        duplicate: false,
        camera: 'camera-1',
        at: '2025-12-14T14:03:00.000Z',
        pre_seconds: 10,
        post_seconds: 5,
        frames_requested: 3,
        frames_mode: 'spread',
        status_url: '/api/events/0d6f7c1e-5b8a-4c1e-9a63-2f1b1a4f0b11',
      },
    ],
  },
);

const Span = Type.Object({ from: Type.String(), to: Type.String() });

export const EventRecord = Type.Object(
  {
    id: Type.String(),
    camera: Type.String(),
    at: Type.String(),
    pre_seconds: Type.Number(),
    post_seconds: Type.Number(),
    metadata: Type.Unknown(),
    status: Status,
    created_at: Type.String(),
    updated_at: Type.String(),
    clip: Type.Optional(
      Type.Object({
        key: Type.String({ description: "The clip's object key in the bucket." }),
        metadata_key: Type.String({ description: "The JSON beside it: the event and the clip's bounds." }),
        from: Type.String(),
        to: Type.String(),
        duration_seconds: Type.Number(),
        gaps: Type.Array(Span),
      }),
    ),
    frames_requested: Type.Optional(Type.Integer({ description: 'Evidence frames asked for.' })),
    frames_mode: Type.Optional(FramesMode),
    frames: Type.Optional(
      Type.Array(
        Type.Object({
          key: Type.String({ description: 'The PNG in the bucket: beside the clip, frame-01.png and on.' }),
          at: Type.String({ description: 'When the frame was taken.' }),
        }),
        { description: 'Once done: the evidence frames stored, in time order.' },
      ),
    ),
    attempts: Type.Optional(Type.Integer({ description: 'Tries that failed for a reason other than the store.' })),
    error: Type.Optional(Type.String({ description: 'Why the event failed, or why the last try did.' })),
  },
  {
    description: 'The event, with its clip once done or the reason once failed',
    examples: [
      {
        id: '0d6f7c1e-5b8a-4c1e-9a63-2f1b1a4f0b11',
        camera: 'camera-1',
        at: '2025-12-14T14:03:00.000Z',
        pre_seconds: 10,
        post_seconds: 5,
        metadata: { checkout: 7 },
        status: 'done',
        created_at: '2025-12-14T14:03:01.000Z',
        updated_at: '2025-12-14T14:03:20.000Z',
        frames_requested: 2,
        frames_mode: 'spread',
        frames: [
          { key: 'events/camera-1/20251214/140300_0d6f7c1e-5b8a-4c1e-9a63-2f1b1a4f0b11/frame-01.png', at: '2025-12-14T14:02:53.740Z' },
          { key: 'events/camera-1/20251214/140300_0d6f7c1e-5b8a-4c1e-9a63-2f1b1a4f0b11/frame-02.png', at: '2025-12-14T14:03:01.260Z' },
        ],
        clip: {
          key: 'events/camera-1/20251214/140300_0d6f7c1e-5b8a-4c1e-9a63-2f1b1a4f0b11.mp4',
          metadata_key: 'events/camera-1/20251214/140300_0d6f7c1e-5b8a-4c1e-9a63-2f1b1a4f0b11.json',
          from: '2025-12-14T14:02:50.000Z',
          to: '2025-12-14T14:03:05.000Z',
          duration_seconds: 15,
          gaps: [],
        },
      },
    ],
  },
);

export const EventParams = Type.Object({ id: Type.String({ description: 'The id POST /api/events returned.' }) });

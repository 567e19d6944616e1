// The camera resource over REST: what a client may send (checked here, then deeper by the routes:
// the URL's userinfo, label names) and the CameraView it gets back, password masked.
import { Type } from '@sinclair/typebox';
import { CAMERA_ID } from '../../config/schema.ts';
import { VIDEO_EXAMPLE, VideoSchema } from './frames.ts';

const ID_RULE = '1 to 63 lowercase letters, digits and "-", starting and ending with a letter or digit, e.g. cam-001';

export const CameraIdParams = Type.Object(
  { id: Type.String({ pattern: CAMERA_ID.source, description: `A camera id: ${ID_RULE}`, examples: ['cam-001'] }) },
  { additionalProperties: false },
);

const SourceUrl = Type.String({
  pattern: '^([rR][tT][sS][pP][sS]?://|synthetic:)',
  maxLength: 2048,
  description:
    'rtsp:// or rtsps:// URL, e.g. rtsp://user:password@192.0.2.10:554/stream1; percent-encode special characters in the user name and password. synthetic: only for a synthetic camera',
  examples: ['rtsp://viewer:secret@192.0.2.10:554/stream1'],
});
const Labels = Type.Record(Type.String(), Type.String(), {
  description:
    'Names of letters, digits and "_" (not starting with a digit or "__", not camera_id), string values; they become Prometheus labels and object metadata',
  examples: [{ site: 'store-12', zone: 'checkout' }],
});
const PushToken = Type.String({
  minLength: 16,
  maxLength: 256,
  pattern: '^[\\x21-\\x7e]+$',
  description:
    'http_push only: the camera\'s own token, sent as Authorization: Bearer <token> with its pictures (16 to 256 printable characters, e.g. from "openssl rand -hex 32"). Without it the camera must send the API token; a PATCH replaces it at once. Stored encrypted, never shown',
});
const Enabled = Type.Boolean({ description: 'false stops recording but keeps the camera', examples: [true] });
const Share = (description: string, minimum: number, maximum: number) => Type.Optional(Type.Number({ minimum, maximum, description }));
const Whole = (description: string, minimum: number, maximum: number) => Type.Optional(Type.Integer({ minimum, maximum, description }));
const Analysis = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'Analyse this camera’s key frames (snapshots, picture health, motion)' })),
    snapshot_width: Whole('Width of the kept snapshot; 0 = the camera’s own', 0, 7680),
    checks: Type.Optional(
      Type.Array(Type.Union([Type.Literal('black'), Type.Literal('frozen'), Type.Literal('covered'), Type.Literal('blurred'), Type.Literal('moved')]), {
        description: 'The picture problems to watch; leave out "moved" for a camera that pans',
      }),
    ),
    motion: Type.Optional(Type.Boolean({ description: 'Detect motion' })),
    frame_rate: Share(
      'Frames a second analysed from a full decode of the stream, for motion between key frames (0, the default: key frames only). A full decode of a 1080p stream costs about 30 % of a core',
      0,
      30,
    ),
    motion_min_area: Share('Share of the picture that must change for motion (default 0.005)', 0.0001, 1),
    motion_pixel_threshold: Whole('Luma change of one pixel that counts as motion (default 25)', 1, 254),
    motion_mask: Type.Optional(
      Type.Array(Type.Array(Type.Number({ minimum: 0, maximum: 1 }), { minItems: 4, maxItems: 4 }), {
        description: 'Rectangles [x, y, w, h] (shares of the picture) where motion does not count',
        maxItems: 64,
      }),
    ),
    black_max_mean: Whole('Mean luma at or below which a flat picture is black (default 28)', 1, 254),
    covered_min_share: Share('Share of the picture in one shade for covered (default 0.75)', 0.3, 1),
    blurred_relative: Share('Detail below this share of the learned normal is blurred (default 0.35)', 0.01, 1),
    moved_min_distance: Share('Distance from the learned view for moved (default 0.5)', 0.05, 2),
    snapshots: Type.Optional(
      Type.Union([Type.Literal('all'), Type.Literal('abnormal'), Type.Literal('sample'), Type.Literal('none')], {
        description: 'Which snapshots go to the bucket (default: the service’s snapshots.mode)',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'The camera’s own analysis settings over the service’s [analysis] defaults; {} = the defaults',
    examples: [{ checks: ['black', 'frozen', 'covered', 'blurred'], motion_mask: [[0, 0, 1, 0.1]] }],
  },
);

export const NewCameraBody = Type.Object(
  {
    id: Type.String({ pattern: CAMERA_ID.source, description: `The camera id: ${ID_RULE}` }),
    source_type: Type.Union([Type.Literal('rtsp'), Type.Literal('http_push'), Type.Literal('synthetic')], {
      description:
        'Where the video comes from: "rtsp"; "http_push" (JPEG pictures POSTed to /api/ingest/push/{id}, no source_url); "synthetic" (a test picture made by ffmpeg) only where the configuration allows it (api.allow_synthetic_cameras, set by the demo)',
    }),
    source_url: Type.Optional(SourceUrl),
    push_token: Type.Optional(PushToken),
    labels: Type.Optional(Labels),
    enabled: Type.Optional(Enabled),
    analysis: Type.Optional(Analysis),
  },
  {
    additionalProperties: false,
    examples: [
      { id: 'cam-001', source_type: 'rtsp', source_url: 'rtsp://viewer:secret@192.0.2.10:554/stream1', labels: { site: 'store-12', zone: 'checkout' } },
      { id: 'door-7', source_type: 'http_push', push_token: '3f9c2b7e5a1d4c6b8e0f2a4c6e8b0d1f', labels: { site: 'store-12' } },
    ],
  },
);

export const CameraPatchBody = Type.Object(
  {
    source_url: Type.Optional(SourceUrl),
    labels: Type.Optional(Labels),
    enabled: Type.Optional(Enabled),
    push_token: Type.Optional(PushToken),
    analysis: Type.Optional(Analysis),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    examples: [{ source_url: 'rtsp://viewer:secret@192.0.2.11:554/stream1' }, { enabled: false }, { push_token: '8d2e6f0a4c1b3e5d7f9a0c2e4b6d8f1a' }],
  },
);

const VIEW_EXAMPLE = {
  id: 'cam-001',
  source_type: 'rtsp',
  source_url: 'rtsp://viewer:***@192.0.2.10:554/stream1',
  labels: { site: 'store-12', zone: 'checkout' },
  enabled: true,
  origin: 'api',
  defined_in: null,
  state: 'recording',
  connected: true,
  newest_segment_end: '2025-12-14T14:00:10.000Z',
  backlog: { segments: 0, bytes: 0 },
  analysis: {},
  video: VIDEO_EXAMPLE,
  created_at: '2025-12-14T13:59:58.000Z',
  updated_at: '2025-12-14T13:59:58.000Z',
};

export const CameraViewSchema = Type.Object(
  {
    id: Type.String(),
    source_type: Type.Union([Type.Literal('rtsp'), Type.Literal('file'), Type.Literal('synthetic'), Type.Literal('http_push'), Type.Literal('redis_stream')]),
    source_url: Type.String({ description: 'The source with any password masked as ***; for an http_push camera, the path its pictures go to' }),
    push_token_set: Type.Optional(Type.Boolean({ description: 'http_push only: whether the camera has a token of its own (never shown)' })),
    labels: Type.Record(Type.String(), Type.String()),
    enabled: Type.Boolean(),
    origin: Type.Union([Type.Literal('config'), Type.Literal('api')], { description: 'config cameras are read-only over the API' }),
    defined_in: Type.Union([Type.String(), Type.Null()], { description: 'For a config camera, where it is defined' }),
    state: Type.String({ description: "The recorder's state (starting, recording, backoff, stopped…) or disabled" }),
    connected: Type.Boolean(),
    newest_segment_end: Type.Union([Type.String(), Type.Null()]),
    backlog: Type.Object({ segments: Type.Integer(), bytes: Type.Integer() }, { description: 'Segments on local disk waiting for the store' }),
    analysis: Analysis,
    video: Type.Union([VideoSchema, Type.Null()], { description: 'What the analysis sees; null while it is off' }),
    created_at: Type.String(),
    updated_at: Type.String(),
  },
  { description: 'The camera and its state; any password in source_url masked', examples: [VIEW_EXAMPLE] },
);

export const CameraListSchema = Type.Object(
  { cameras: Type.Array(CameraViewSchema) },
  { description: 'Every camera, config ones first', examples: [{ cameras: [VIEW_EXAMPLE] }] },
);

export const RemovedCameraSchema = Type.Object(
  { id: Type.String(), segments_waiting: Type.Integer({ description: 'Its segments still waiting for the store; they are uploaded like any other' }) },
  { description: 'The camera is gone; its footage stays in the bucket', examples: [{ id: 'cam-001', segments_waiting: 1 }] },
);

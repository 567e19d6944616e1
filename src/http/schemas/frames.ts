// The snapshot routes: the newest key frame of a camera as a JPEG, and what the analysis sees.
import { Type } from '@sinclair/typebox';

export const SnapshotQuery = Type.Object(
  {
    width: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,4}$',
        description: 'Scale the picture to this many pixels wide (16 to 7680; height by the aspect). A width above the kept snapshot’s returns it unscaled.',
        examples: ['320'],
      }),
    ),
  },
  { additionalProperties: false },
);

export const NoFrameSchema = Type.Object(
  {
    error: Type.String({ description: 'Why there is no picture to give, and what to check.' }),
    reason: Type.Union([Type.Literal('no_frame_yet'), Type.Literal('stale'), Type.Literal('disabled'), Type.Literal('analysis_off')]),
    frame_age_seconds: Type.Union([Type.Number(), Type.Null()], { description: 'Age of the newest frame there is, or null if none came' }),
    last_frame: Type.Union([Type.String(), Type.Null()], { description: 'When the newest frame was read, ISO 8601' }),
  },
  {
    description: 'No recent frame: the camera sends no key frames (disconnected, or not yet), or it is switched off',
    examples: [
      {
        error: 'no frame for 42.3 s (snapshots older than 10 s are not served): is the camera connected?',
        reason: 'stale',
        frame_age_seconds: 42.3,
        last_frame: '2025-12-14T14:00:00.000Z',
      },
    ],
  },
);

const ProblemState = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('problem'), Type.Literal('off')], { description: 'off: this camera does not watch for it' }),
  since: Type.Union([Type.String(), Type.Null()], { description: 'When the status began (the first frame of the run that set it), ISO 8601' }),
});

export const VIDEO_EXAMPLE = {
  problems: {
    black: { status: 'ok', since: '2025-12-14T13:59:58.000Z' },
    frozen: { status: 'ok', since: '2025-12-14T13:59:58.000Z' },
    covered: { status: 'problem', since: '2025-12-14T14:00:04.000Z' },
    blurred: { status: 'ok', since: '2025-12-14T13:59:58.000Z' },
    moved: { status: 'off', since: null },
  },
  motion: { enabled: true, active: false, since: null, area: 0.001 },
  frame: { analysed: 5, dropped: 0, newest: '2025-12-14T14:00:08.000Z', age_seconds: 1.2 },
  snapshot: { newest: '2025-12-14T14:00:08.000Z', age_seconds: 1.2 },
};

export const VideoSchema = Type.Object(
  {
    problems: Type.Object({ black: ProblemState, frozen: ProblemState, covered: ProblemState, blurred: ProblemState, moved: ProblemState }),
    motion: Type.Object({
      enabled: Type.Boolean(),
      active: Type.Boolean(),
      since: Type.Union([Type.String(), Type.Null()], { description: 'Start of the motion period under way' }),
      area: Type.Union([Type.Number(), Type.Null()], { description: 'Share of the picture that changed in the newest key frame' }),
    }),
    frame: Type.Object({
      analysed: Type.Integer(),
      dropped: Type.Integer({ description: 'Key frames replaced by a newer one while the analysis was busy' }),
      newest: Type.Union([Type.String(), Type.Null()]),
      age_seconds: Type.Union([Type.Number(), Type.Null()]),
    }),
    snapshot: Type.Object({ newest: Type.Union([Type.String(), Type.Null()]), age_seconds: Type.Union([Type.Number(), Type.Null()]) }),
  },
  { description: 'What the analysis of the key frames sees; problems are debounced over several key frames', examples: [VIDEO_EXAMPLE] },
);

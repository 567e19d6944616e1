// Segment listings and clips: what GET /api/cameras/{camera}/segments and …/clip take and give.
import { Type } from '@sinclair/typebox';
import { CAMERA_ID } from '../../config/schema.ts';
import { Instant } from './common.ts';

const CameraParam = Type.String({
  pattern: CAMERA_ID.source,
  description: 'A camera id: 1 to 63 lowercase letters, digits and "-", e.g. camera-1',
  examples: ['camera-1'],
});

export const FootageParams = Type.Object({ camera: CameraParam }, { additionalProperties: false });

/** from/to are checked by the clip code (offsets, a + sent as a space, the range limit), which names the one at fault. */
export const RangeQuery = Type.Object({
  from: Type.Optional(Instant('Start, ISO 8601 with an offset or Z, e.g. 2025-12-14T15:00:00+01:00', '2025-12-14T14:00:00Z')),
  to: Type.Optional(Instant('End, ISO 8601 with an offset or Z; at most api.max_range after from', '2025-12-14T14:05:00Z')),
});

const Span = Type.Object({ from: Type.String(), to: Type.String() });

export const SegmentListing = Type.Object(
  {
    camera: Type.String(),
    from: Type.String(),
    to: Type.String(),
    segments: Type.Array(
      Type.Object({
        key: Type.String({ description: 'The object key in the bucket.' }),
        start: Type.String(),
        end: Type.String(),
        duration_seconds: Type.Number(),
        size: Type.Integer({ description: 'Bytes.' }),
        url: Type.Union([Type.String(), Type.Null()], { description: 'A presigned URL to GET the segment directly; null where the store has none.' }),
      }),
    ),
    url_expires_in_seconds: Type.Integer(),
    gaps: Type.Array(Span, { description: 'Parts of the range with no footage.' }),
  },
  {
    description: 'The stored segments overlapping the range, and the gaps',
    examples: [
      {
        camera: 'camera-1',
        from: '2025-12-14T14:00:00.000Z',
        to: '2025-12-14T14:00:20.000Z',
        segments: [
          {
            key: 'camera-1/20251214/140000_camera-1.mp4',
            start: '2025-12-14T14:00:00.000Z',
            end: '2025-12-14T14:00:10.000Z',
            duration_seconds: 10,
            size: 1843200,
            url: 'http://127.0.0.1:7480/recordings/camera-1/20251214/140000_camera-1.mp4?X-Amz-Signature=…',
          },
        ],
        url_expires_in_seconds: 900,
        gaps: [{ from: '2025-12-14T14:00:10.000Z', to: '2025-12-14T14:00:20.000Z' }],
      },
    ],
  },
);

export const ClipBody = Type.String({
  format: 'binary',
  description: 'The MP4 (H.264, faststart). X-Clip-From and X-Clip-To give its real bounds (key frames), X-Clip-Gaps a JSON list of the gaps inside it.',
});

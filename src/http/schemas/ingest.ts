// The push route's request as the OpenAPI document shows it: a multipart form with the JPEG and its
// capture time. The form is read by the route itself (multipart is streamed, not a JSON body), so
// these schemas document it; the route checks the same rules and says what is wrong.
import { Type } from '@sinclair/typebox';
import { CAMERA_ID } from '../../config/schema.ts';

export const PushParams = Type.Object(
  { camera_id: Type.String({ pattern: CAMERA_ID.source, description: 'The id of an http_push camera', examples: ['door-7'] }) },
  { additionalProperties: false },
);

export const PushForm = Type.Object(
  {
    frame_file: Type.String({ format: 'binary', description: 'One JPEG picture (image/jpeg), at most push.max_frame_bytes (2 MiB by default)' }),
    timestamp: Type.Optional(
      Type.String({
        pattern: '^[0-9]+(\\.[0-9]+)?$',
        description:
          'When the picture was taken, in seconds since the epoch (fractions allowed). Kept as the snapshot time; the recording is timed by arrival. Default: when it arrived',
        examples: ['1764581234.25'],
      }),
    ),
  },
  { required: ['frame_file'] },
);

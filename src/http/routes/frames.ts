// A camera's newest picture, served from memory: the JPEG of its newest key frame (or the frame it
// pushed), with the capture time in Last-Modified and its age in X-Frame-Age, and a 503 saying how
// old the newest one is when it is too old to pass for the camera's current view.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CameraFrames, FrameService } from '../../frames/frame-service.ts';
import { SnapshotScaler } from '../../frames/snapshot-scaler.ts';
import { HttpError } from '../request-input.ts';
import { CameraIdParams } from '../schemas/cameras.ts';
import { errors } from '../schemas/common.ts';
import { NoFrameSchema, SnapshotQuery, VideoSchema } from '../schemas/frames.ts';

export interface FrameRouteDeps {
  frames: FrameService | undefined;
  /** analysis.snapshot_max_age */
  maxAgeMs: number;
  now: () => number;
}

const MIN_WIDTH = 16;
const MAX_WIDTH = 7680;

export function frameRoutes(app: FastifyInstance, deps: FrameRouteDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const scaler = new SnapshotScaler();
  const tags = ['snapshots'];
  const framesOf = (id: string): CameraFrames => {
    if (!deps.frames) throw new HttpError(503, 'the camera registry is not running in this process');
    const frames = deps.frames.framesOf(id);
    if (!frames) throw new HttpError(404, `no camera "${id}"; GET /api/cameras lists them`, 'id');
    return frames;
  };

  const snapshot = async (id: string, widthText: string | undefined, reply: FastifyReply): Promise<FastifyReply> => {
    const width = widthText === undefined ? undefined : Number(widthText);
    if (width !== undefined && (width < MIN_WIDTH || width > MAX_WIDTH))
      throw new HttpError(400, `width=${widthText}: ask for ${MIN_WIDTH} to ${MAX_WIDTH} pixels`, 'width');
    const frames = framesOf(id);
    const now = deps.now();
    const shot = frames.snapshot;
    const age = shot === undefined ? null : Math.max(0, (now - shot.atMs) / 1000);
    const noFrame = (reason: string, error: string): FastifyReply =>
      reply
        .code(503)
        .header('Retry-After', '2')
        .send({ error, reason, frame_age_seconds: age, last_frame: shot ? new Date(shot.atMs).toISOString() : null });
    if (!frames.enabled) return noFrame('disabled', `camera "${id}" is switched off (enabled = false): PATCH it with {"enabled": true}`);
    if (shot === undefined) {
      if (frames.vision === undefined) return noFrame('analysis_off', `camera "${id}" keeps no snapshots: its analysis is off (analysis.enabled)`);
      return noFrame('no_frame_yet', `no frame from camera "${id}" yet: it is connecting, or sends no key frames`);
    }
    if (now - shot.atMs > deps.maxAgeMs) {
      return noFrame(
        'stale',
        `no frame for ${(age ?? 0).toFixed(1)} s (snapshots older than ${deps.maxAgeMs / 1000} s are not served): is the camera connected?`,
      );
    }
    const body = width === undefined ? shot.jpeg : await scaler.scaled(id, shot, width);
    return reply
      .type('image/jpeg')
      .header('Last-Modified', new Date(shot.atMs).toUTCString())
      .header('X-Frame-Age', (age ?? 0).toFixed(3))
      .header('X-Frame-Time', new Date(shot.atMs).toISOString())
      .send(body);
  };

  const schema = (summary: string) => ({
    summary,
    tags,
    params: CameraIdParams,
    querystring: SnapshotQuery,
    produces: ['image/jpeg'],
    response: {
      200: { description: 'The JPEG; Last-Modified: its capture time; X-Frame-Age: its age in seconds', type: 'string', format: 'binary' },
      ...errors(400, 404),
      503: NoFrameSchema,
    },
  });
  api.get('/cameras/:id/snapshot.jpg', { schema: schema("The camera's newest key frame as a JPEG, from memory") }, (req, reply) =>
    snapshot(req.params.id, req.query.width, reply),
  );
  api.get('/cameras/:id/frame/latest', { schema: schema('The same as snapshot.jpg, at the path other ingest services use') }, (req, reply) =>
    snapshot(req.params.id, req.query.width, reply),
  );

  api.post(
    '/cameras/:id/scene/relearn',
    {
      schema: {
        summary: 'The camera was turned on purpose: clear `moved` and learn the current view as its normal one',
        tags,
        params: CameraIdParams,
        response: { 200: VideoSchema, ...errors(404, 409, 503) },
      },
    },
    async (req, reply) => {
      const { vision } = framesOf(req.params.id);
      if (!vision) throw new HttpError(409, `camera "${req.params.id}" has no analysis running (switched off, or analysis.enabled = false)`, 'id');
      vision.relearnScene();
      return reply.send(vision.view());
    },
  );
}

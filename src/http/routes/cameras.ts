// The camera registry over REST. The schemas reject what is plainly wrong (id form, source type,
// scheme, unknown fields); the URL's finer points and label names are checked here with the same
// code as the configuration, so the API and the config file refuse the same things the same way.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { CameraPatch, CameraService, NewCamera } from '../../camera/camera-service.ts';
import { checkUrl } from '../../config/camera-url.ts';
import { checkLabels } from '../../config/labels.ts';
import type { ConfigProblem } from '../../errors.ts';
import { HttpError } from '../request-input.ts';
import { CameraIdParams, CameraListSchema, CameraPatchBody, CameraViewSchema, NewCameraBody, RemovedCameraSchema } from '../schemas/cameras.ts';
import { errors } from '../schemas/common.ts';

/** Without a camera service (none wired in yet) the camera routes answer 503 rather than vanish from the document. */
function serviceOf(cameras: CameraService | undefined): CameraService {
  if (!cameras) throw new HttpError(503, 'the camera registry is not running in this process');
  return cameras;
}

/** The checks the schema cannot express; a 400 naming source_url or labels, the password masked. */
function checkInput(input: { source_type?: string; source_url?: string | undefined; labels?: Record<string, string> | undefined }): void {
  const problems: ConfigProblem[] = [];
  if (input.source_type === 'http_push' && input.source_url !== undefined) {
    throw new HttpError(400, 'source_url: an http_push camera takes no source_url: its pictures are POSTed to /api/ingest/push/{id}', 'source_url');
  }
  if (input.source_type !== undefined && input.source_type !== 'http_push' && input.source_url === undefined) {
    throw new HttpError(400, `source_url is missing: a ${input.source_type} camera needs the URL of its stream`, 'source_url');
  }
  if (input.source_type === 'rtsp' && input.source_url?.startsWith('synthetic:')) {
    throw new HttpError(400, 'source_url: an rtsp camera takes an rtsp:// or rtsps:// URL', 'source_url');
  }
  if (input.source_url !== undefined) checkUrl(input.source_url, 'source_url', problems);
  if (input.labels !== undefined) checkLabels(input.labels, 'labels', problems);
  const first = problems[0];
  if (first) throw new HttpError(400, `${first.key}: ${first.message}`, first.key);
}

export function cameraRoutes(app: FastifyInstance, cameras: CameraService | undefined): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['cameras'];

  api.post(
    '/cameras',
    {
      schema: {
        summary: 'Add a camera: it is stored and starts recording at once',
        tags,
        body: NewCameraBody,
        response: { 201: CameraViewSchema, ...errors(400, 409, 413, 415, 503) },
      },
    },
    async (req, reply) => {
      checkInput(req.body);
      const view = await serviceOf(cameras).add(req.body as NewCamera);
      return reply.code(201).send(view);
    },
  );

  api.get(
    '/cameras',
    {
      schema: { summary: 'Every camera, from the configuration and from the API, with its state', tags, response: { 200: CameraListSchema, ...errors(503) } },
    },
    async () => ({ cameras: serviceOf(cameras).list() }),
  );

  api.get(
    '/cameras/:id',
    {
      schema: { summary: 'One camera and its state', tags, params: CameraIdParams, response: { 200: CameraViewSchema, ...errors(400, 404, 503) } },
    },
    async (req) => {
      const view = serviceOf(cameras).get(req.params.id);
      if (!view) throw new HttpError(404, `no camera "${req.params.id}"; GET /api/cameras lists them`, 'id');
      return view;
    },
  );

  api.patch(
    '/cameras/:id',
    {
      schema: {
        summary: "Change a camera's source URL, labels or enabled; a new URL restarts only this camera",
        tags,
        params: CameraIdParams,
        body: CameraPatchBody,
        response: { 200: CameraViewSchema, ...errors(400, 404, 409, 413, 415, 503) },
      },
    },
    async (req) => {
      checkInput(req.body);
      const view = await serviceOf(cameras).change(req.params.id, req.body as CameraPatch);
      return view;
    },
  );

  api.delete(
    '/cameras/:id',
    {
      schema: {
        summary: 'Remove a camera: its last segment is finalized and uploaded; its footage stays in the bucket',
        tags,
        params: CameraIdParams,
        response: { 200: RemovedCameraSchema, ...errors(400, 404, 409, 503) },
      },
    },
    async (req) => {
      const removed = await serviceOf(cameras).remove(req.params.id);
      return removed;
    },
  );
}

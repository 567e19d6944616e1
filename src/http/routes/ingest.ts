// POST /api/ingest/push/{camera_id}: one JPEG picture of an http_push camera, as a multipart form
// (frame_file, and an optional timestamp). It has its own context, outside the API token's: the
// camera's own push token is taken as well as the API token, multipart is parsed only here, and a
// picture may be larger than the 64 KiB of a JSON body. The picture goes to the camera's recorder
// (FrameSink); a full queue or a stopping camera is a 503, never a request held open.
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.ts';
import { PushRefused } from '../../ingest/push-refused.ts';
import type { PushCameras, PushTarget } from '../../ingest/push-cameras.ts';
import { bearerToken, CHALLENGE, tokenMatches } from '../auth.ts';
import { HttpError } from '../request-input.ts';
import { errors } from '../schemas/common.ts';
import { PushForm, PushParams } from '../schemas/ingest.ts';

export interface IngestDeps {
  cameras: PushCameras;
  /** Taken for every camera; '' when the API is off. */
  apiToken: string;
  maxFrameBytes: number;
  clock: Clock;
}

const PUSH_STATUS: Record<PushRefused['kind'], number> = { not_jpeg: 415, too_large: 413, unavailable: 503 };
/** Epoch seconds from 2001 to 2286: a value outside is most likely milliseconds or a clock not set. */
const SANE_SECONDS = /^(9\d{8}|[1-9]\d{9})(\.\d+)?$/;
const FORM_HOW = 'send multipart/form-data with the JPEG in a file field named frame_file (curl -F frame_file=@picture.jpg)';

/** The picture and its capture time from the form; throws a 400 or 413 naming the field. */
async function readForm(req: FastifyRequest, maxFrameBytes: number): Promise<{ jpeg: Buffer; timestamp: string | undefined }> {
  if (!req.isMultipart()) throw new HttpError(415, `the body is not a multipart form: ${FORM_HOW}`, 'body');
  let jpeg: Buffer | undefined;
  let timestamp: string | undefined;
  try {
    for await (const part of req.parts({ limits: { fileSize: maxFrameBytes, files: 1, fields: 4, fieldSize: 256 } })) {
      if (part.type === 'file' && part.fieldname === 'frame_file') jpeg = await part.toBuffer();
      else if (part.type === 'field' && part.fieldname === 'timestamp') timestamp = String(part.value).trim();
      else
        throw new HttpError(
          400,
          `unknown ${part.type} "${part.fieldname.slice(0, 64)}" in the form; allowed: frame_file, timestamp`,
          part.fieldname.slice(0, 64),
        );
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE')
      throw new HttpError(413, `frame_file is over the limit of ${maxFrameBytes} bytes: send a smaller JPEG (lower resolution or quality)`, 'frame_file');
    if (code === 'FST_FILES_LIMIT') throw new HttpError(400, 'send one picture per request: the form has more than one file', 'frame_file');
    if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT')
      throw new HttpError(400, 'the form has too many fields; allowed: frame_file, timestamp', 'body');
    if (err instanceof HttpError) throw err;
    throw new HttpError(400, `the multipart form cannot be read (${(err as Error).message.slice(0, 120)}): ${FORM_HOW}`, 'body');
  }
  if (!jpeg) throw new HttpError(400, `frame_file is missing: ${FORM_HOW}`, 'frame_file');
  return { jpeg, timestamp };
}

function capturedAt(timestamp: string | undefined, nowMs: number): number {
  if (timestamp === undefined || timestamp === '') return nowMs;
  if (!SANE_SECONDS.test(timestamp)) {
    const hint = /^\d{13}/.test(timestamp) ? ' (this looks like milliseconds: divide by 1000)' : '';
    throw new HttpError(400, `timestamp "${timestamp.slice(0, 32)}" is not seconds since the epoch such as 1764581234.25${hint}`, 'timestamp');
  }
  return Math.round(Number(timestamp) * 1000);
}

/** 401 unless the token is the camera's own or the API token; then 404, 409 for a camera that takes no pictures. */
function authorize(req: FastifyRequest, id: string, deps: IngestDeps): PushTarget {
  const target = deps.cameras.pushTarget(id);
  const given = bearerToken(req);
  if (!tokenMatches(given, deps.apiToken) && !tokenMatches(given, target?.pushToken)) {
    throw new HttpError(401, "missing or wrong bearer token: send Authorization: Bearer <the camera's push_token, or API_TOKEN>", undefined, CHALLENGE);
  }
  if (!target) throw new HttpError(404, `no camera "${id}"; GET /api/cameras lists them`, 'camera_id');
  if (target.sourceType !== 'http_push')
    throw new HttpError(409, `camera "${id}" is an ${target.sourceType} camera; pictures are pushed only to cameras with source_type "http_push"`, 'camera_id');
  return target;
}

export async function ingestPlugin(app: FastifyInstance, opts: { ingest: IngestDeps }): Promise<void> {
  const deps = opts.ingest;
  await app.register(multipart);
  // any other body is refused by the route with a message about the form, not the JSON routes' one
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  app.addHook('onRequest', async (req) => {
    const id = (req.params as { camera_id?: string }).camera_id;
    if (id !== undefined) (req as FastifyRequest & { pushTarget?: PushTarget }).pushTarget = authorize(req, id, deps);
  });

  app.post(
    '/push/:camera_id',
    {
      schema: {
        summary: 'Push one JPEG picture of an http_push camera: it is recorded and becomes the camera snapshot',
        description:
          "Authorization: the camera's own push_token or the API token. The picture is written to the camera's recording (H.264 segments like an RTSP camera's); the answer comes once it is, or 503 at once when the recorder cannot take it (send it again later).",
        tags: ['ingest'],
        consumes: ['multipart/form-data'],
        params: PushParams,
        body: PushForm,
        response: {
          204: { description: 'The picture is in the recording', type: 'null' },
          ...errors(400, 404, 409, 413, 415, 503),
        },
      },
      // the form is streamed and read by the handler (readForm); the schemas above document it
      validatorCompiler: () => () => true,
      bodyLimit: deps.maxFrameBytes + 64 * 1024,
    },
    async (req, reply) => {
      const { camera_id: id } = req.params as { camera_id: string };
      const target = (req as FastifyRequest & { pushTarget?: PushTarget }).pushTarget ?? authorize(req, id, deps);
      if (!target.sink)
        throw new HttpError(409, `camera "${id}" is disabled: PATCH /api/cameras/${id} with {"enabled": true} to take its pictures`, 'camera_id');
      const arrivedMs = deps.clock.now();
      const { jpeg, timestamp } = await readForm(req, deps.maxFrameBytes);
      try {
        await target.sink.push({ jpeg, capturedAtMs: capturedAt(timestamp, arrivedMs) });
      } catch (err) {
        if (!(err instanceof PushRefused)) throw err;
        const hint = err.kind === 'not_jpeg' ? ' (frame_file must be one complete JPEG; PNG or other formats are not taken)' : '';
        throw new HttpError(
          PUSH_STATUS[err.kind],
          `${err.message}${hint}`,
          err.kind === 'unavailable' ? undefined : 'frame_file',
          err.kind === 'unavailable' ? { 'Retry-After': '1' } : {},
        );
      }
      return reply.code(204).send();
    },
  );
}

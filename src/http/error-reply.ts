// Every error a request can end in, as the { error, field? } body and status the client gets:
// our own HttpError, the domain errors of clips, events and cameras, the store's, the disk's,
// and Fastify's own (schema validation, content type, body size, unreadable JSON). Anything else
// is a 500 whose message says nothing about the inside.
import type { FastifyError } from 'fastify';
import { CameraChangeError } from '../camera/camera-service.ts';
import { ClipError } from '../clips/clip-error.ts';
import { EventDiskError } from '../clips/event-store.ts';
import { StoreError } from '../errors.ts';
import { HttpError } from './request-input.ts';

export interface ErrorBody {
  error: string;
  field?: string;
}

const CAMERA_STATUS: Record<CameraChangeError['kind'], number> = { invalid: 400, not_found: 404, conflict: 409, read_only: 409, unavailable: 503 };

const CLIP_STATUS: Partial<Record<ClipError['problem'], number>> = { 'no-footage': 404, conflict: 409 };

export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof CameraChangeError) return new HttpError(CAMERA_STATUS[err.kind], err.message, err.field);
  if (err instanceof ClipError) return new HttpError(CLIP_STATUS[err.problem] ?? 400, err.message, err.field);
  if (err instanceof StoreError) return new HttpError(503, `the store is not answering: ${err.message}`);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new HttpError(507, "the recorder's disk (TEMP_DIR) is full; retry once space is freed");
  if (err instanceof EventDiskError) {
    return err.full
      ? new HttpError(507, "the recorder's disk (TEMP_DIR) is full; the event was not stored: retry once space is freed")
      : new HttpError(503, 'the recorder cannot write to its disk (TEMP_DIR); the event was not stored: retry later');
  }
  return fromFastify(err as FastifyError) ?? new HttpError(500, 'internal error');
}

function fromFastify(err: FastifyError): HttpError | undefined {
  if (err.validation) return fromValidation(err);
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'send the body as JSON with Content-Type: application/json', 'body');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(413, 'the body is over the limit of 64 KiB', 'body');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError(400, 'the body is empty; send a JSON object', 'body');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpError(400, 'the Content-Length does not match the body', 'body');
    default:
      break;
  }
  // The JSON parser's SyntaxError, tagged 400 by Fastify.
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY')
    return new HttpError(400, `the body is not valid JSON (${err.message.slice(0, 120)})`, 'body');
  return undefined;
}

interface AjvError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
  parentSchema?: { description?: string; properties?: Record<string, { description?: string }> };
}

/** A schema failure as one sentence naming the field, with the field's own description as the how-to-fix. */
function fromValidation(err: FastifyError): HttpError {
  const e = (err.validation as unknown as AjvError[])[0]!;
  const where = err.validationContext === 'querystring' ? 'query parameter' : err.validationContext === 'params' ? 'path part' : 'field';
  const known = Object.keys(e.parentSchema?.properties ?? {});
  if (e.keyword === 'additionalProperties') {
    const name = String(e.params.additionalProperty).slice(0, 64);
    return new HttpError(400, `unknown ${where} "${name}"; allowed: ${known.join(', ')}`, name);
  }
  if (e.keyword === 'required') {
    const name = String(e.params.missingProperty);
    return new HttpError(400, `${name} is missing${hint(e.parentSchema?.properties?.[name]?.description)}`, name);
  }
  if (e.keyword === 'minProperties') return new HttpError(400, `send at least one of ${known.join(', ')}`, 'body');
  if (e.keyword === 'const') {
    // one of a union of values (source_type): name them all, with the union's description
    const all = (err.validation as unknown as AjvError[]).filter((v) => v.instancePath === e.instancePath);
    const allowed = all.filter((v) => v.keyword === 'const').map((v) => JSON.stringify(v.params.allowedValue));
    const field = e.instancePath.split('/')[1] || 'body';
    return new HttpError(
      400,
      `${where} ${field} must be one of ${allowed.join(', ')}${hint(all.find((v) => v.keyword === 'anyOf')?.parentSchema?.description)}`,
      field,
    );
  }
  const field = e.instancePath.split('/')[1] ?? 'body';
  const description = e.instancePath === '' ? undefined : e.parentSchema?.description;
  const what = e.keyword === 'pattern' ? 'has the wrong form' : (e.message ?? 'is not valid');
  return new HttpError(400, `${where} ${field} ${what}${hint(description)}`, field === '' ? 'body' : field);
}

const hint = (description: string | undefined): string => (description ? `: ${description}` : '');

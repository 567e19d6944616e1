// Validates POST /api/events bodies. Every field is checked and a bad one is named, so an
// integrator's 400 says exactly what to fix; nothing is stored for a bad request.
import { ClipError } from './clip-error.ts';
import { parseInstant } from './instant.ts';

export interface EventLimits {
  cameras: ReadonlySet<string>;
  preSeconds: number;
  postSeconds: number;
  maxSeconds: number;
  metadataMaxBytes: number;
  now: number;
}

export interface EventRequest {
  camera: string;
  atMs: number;
  preSeconds: number;
  postSeconds: number;
  metadata: unknown;
}

const FIELDS = ['camera', 'at', 'pre_seconds', 'post_seconds', 'metadata'];
/** Deeper metadata is refused: serializing it recurses once per level (20,000 levels overflow the stack). */
export const METADATA_MAX_DEPTH = 32;
/** Events stamped this far ahead of our clock are accepted (the sender's clock may run ahead). */
const FUTURE_SLACK_MS = 60_000;

export function parseEventRequest(body: unknown, limits: EventLimits): EventRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ClipError('the body must be a JSON object such as {"camera":"camera-1","metadata":{}}', 'bad-request', 'body');
  }
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (!FIELDS.includes(key)) throw new ClipError(`unknown field "${key}"; the fields are ${FIELDS.join(', ')}`, 'bad-request', key);
  }
  if (typeof b.camera !== 'string' || b.camera === '') throw new ClipError('camera is missing: give the id of a configured camera', 'bad-request', 'camera');
  if (!limits.cameras.has(b.camera))
    throw new ClipError(`unknown camera "${b.camera.slice(0, 64)}"; configured: ${[...limits.cameras].join(', ')}`, 'unknown-camera', 'camera');
  const atMs = b.at === undefined ? limits.now : parseInstant(b.at, 'at');
  if (atMs > limits.now + FUTURE_SLACK_MS) throw new ClipError('at is in the future; events are reported after they happen', 'bad-request', 'at');
  const seconds = (field: 'pre_seconds' | 'post_seconds', fallback: number): number => {
    const v = b[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ClipError(`${field} must be a number of seconds, 0 or more`, 'bad-request', field);
    if (v > limits.maxSeconds) throw new ClipError(`${field} is ${v}; the cap is ${limits.maxSeconds} seconds`, 'bad-request', field);
    return v;
  };
  const metadata = b.metadata ?? {};
  if (depthOver(metadata, METADATA_MAX_DEPTH))
    throw new ClipError(`metadata nests objects or arrays more than ${METADATA_MAX_DEPTH} levels deep; flatten it`, 'bad-request', 'metadata');
  const size = Buffer.byteLength(JSON.stringify(metadata));
  if (size > limits.metadataMaxBytes)
    throw new ClipError(`metadata is ${size} bytes as JSON; the limit is ${limits.metadataMaxBytes}`, 'bad-request', 'metadata');
  return { camera: b.camera, atMs, preSeconds: seconds('pre_seconds', limits.preSeconds), postSeconds: seconds('post_seconds', limits.postSeconds), metadata };
}

/** Whether a parsed JSON value nests deeper than `max` levels; iterative, so any depth is safe to ask about. */
export function depthOver(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

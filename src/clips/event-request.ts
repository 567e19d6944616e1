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
  /** Evidence frames when the request does not say (events.frames_default), and the most it may ask (events.frames_max). */
  framesDefault: number;
  framesMax: number;
  now: number;
}

/** `spread`: evenly over the whole window; `before`: one a second up to `at`. */
export type FramesMode = 'spread' | 'before';
export const FRAMES_MODES: readonly FramesMode[] = ['spread', 'before'];

/**
 * An integrator's own id for an event: it becomes the event's id, so it names the stored files and
 * object keys. Letters, digits, `_` and `-` only (no `/`, `.` or `:`, nothing a key or a path reads
 * differently), starting with a letter or digit; long enough not to collide by accident.
 */
export const EVENT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$/;

export interface EventRequest {
  camera: string;
  atMs: number;
  preSeconds: number;
  postSeconds: number;
  metadata: unknown;
  /** The integrator's id: the same id again is the same event. */
  eventId: string | undefined;
  frames: number;
  framesMode: FramesMode;
}

const FIELDS = ['camera', 'at', 'pre_seconds', 'post_seconds', 'metadata', 'event_id', 'frames', 'frames_mode'];
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
  return {
    camera: b.camera,
    atMs,
    preSeconds: seconds('pre_seconds', limits.preSeconds),
    postSeconds: seconds('post_seconds', limits.postSeconds),
    metadata,
    eventId: eventId(b.event_id),
    frames: frames(b.frames, limits),
    framesMode: framesMode(b.frames_mode),
  };
}

function eventId(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !EVENT_ID.test(v)) {
    const shown = typeof v === 'string' ? `"${v.slice(0, 80)}"` : JSON.stringify(v)?.slice(0, 80);
    throw new ClipError(
      `event_id ${shown} is not an id: give 8 to 64 letters, digits, _ or -, starting with a letter or digit (e.g. a UUID or "till-7-R1043")`,
      'bad-request',
      'event_id',
    );
  }
  return v;
}

function frames(v: unknown, limits: EventLimits): number {
  if (v === undefined) return Math.min(limits.framesDefault, limits.framesMax);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new ClipError('frames must be a whole number of frames, 0 or more', 'bad-request', 'frames');
  if (v > limits.framesMax) throw new ClipError(`frames is ${v}; the cap is ${limits.framesMax} (events.frames_max)`, 'bad-request', 'frames');
  return v;
}

function framesMode(v: unknown): FramesMode {
  if (v === undefined) return 'spread';
  if (typeof v !== 'string' || !(FRAMES_MODES as readonly string[]).includes(v))
    throw new ClipError(`frames_mode must be one of ${FRAMES_MODES.map((m) => `"${m}"`).join(', ')}`, 'bad-request', 'frames_mode');
  return v as FramesMode;
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

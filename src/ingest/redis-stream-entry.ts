// One entry of a camera's Redis stream, read into a frame or into the reason it is not one.
// The format is the one the camera-check system we replace consumed: a `jpeg` field with the
// picture's bytes and an optional `meta` field with a JSON object; any other field is ignored.
import { jpegEnd } from '../frames/jpeg-tap.ts';
import type { PushedFrame } from './frame-sink.ts';

/** Why an entry is not a frame: each is acknowledged and counted, never read again. */
export type EntryProblem = 'no-jpeg' | 'not-jpeg' | 'bad-meta' | 'gone';

export type ParsedEntry = { ok: true; frame: PushedFrame } | { ok: false; problem: EntryProblem; detail: string };

/** The meta fields that may carry the capture time, in the order they are looked for. */
export const TIME_FIELDS = ['captured_at', 'timestamp', 'ts'] as const;

// Plausible capture times: a value outside is a unit mix-up or garbage, and would put the frame
// into a segment decades away.
const EARLIEST_MS = Date.UTC(2000, 0, 1);
const LATEST_MS = Date.UTC(2100, 0, 1);

/**
 * `fields` is the entry as Redis holds it, or null when the entry is in the group's pending list
 * but was deleted from the stream (trimmed by MAXLEN while the recorder was away). `nowMs` is the
 * time of a frame whose entry gives none: no time in meta, and an id the producer chose ("5-0")
 * instead of Redis' clock.
 */
export function parseEntry(id: string, fields: Map<string, Buffer> | null, nowMs: number): ParsedEntry {
  if (fields === null) return { ok: false, problem: 'gone', detail: 'the entry was deleted from the stream (trimmed?) before it was read' };
  const jpeg = fields.get('jpeg');
  if (jpeg === undefined) {
    return { ok: false, problem: 'no-jpeg', detail: `no "jpeg" field (fields: ${[...fields.keys()].join(', ') || 'none'})` };
  }
  const end = pictureEnd(jpeg);
  if (end === undefined) {
    return { ok: false, problem: 'not-jpeg', detail: `the "jpeg" field (${jpeg.length} bytes) is not a complete JPEG` };
  }
  const meta = fields.get('meta');
  const time = meta === undefined ? { ms: undefined } : metaTime(meta.toString('utf8'));
  if ('problem' in time) return { ok: false, problem: 'bad-meta', detail: time.problem };
  const capturedAtMs = time.ms ?? idTimeMs(id) ?? nowMs;
  return { ok: true, frame: { jpeg: end === jpeg.length ? jpeg : jpeg.subarray(0, end), capturedAtMs } };
}

/** The milliseconds part of a stream entry id ("1718000000000-3"): when Redis added the entry, if it is a plausible time. */
function idTimeMs(id: string): number | undefined {
  const dash = id.indexOf('-');
  const ms = Number(dash < 0 ? id : id.slice(0, dash));
  return ms >= EARLIEST_MS && ms < LATEST_MS ? ms : undefined;
}

function pictureEnd(jpeg: Buffer): number | undefined {
  try {
    return jpegEnd(jpeg);
  } catch {
    return undefined;
  }
}

/** The capture time a meta object gives (undefined when it gives none), or what is wrong with it. */
export function metaTime(text: string): { ms: number | undefined } | { problem: string } {
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (err) {
    return { problem: `"meta" is not JSON (${(err as Error).message})` };
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return { problem: '"meta" is not a JSON object' };
  const record = meta as Record<string, unknown>;
  const field = TIME_FIELDS.find((f) => record[f] !== undefined && record[f] !== null);
  if (field === undefined) return { ms: undefined };
  const ms = timeMs(record[field]);
  if (ms === undefined || ms < EARLIEST_MS || ms >= LATEST_MS) {
    return {
      problem: `meta.${field} = ${JSON.stringify(record[field]).slice(0, 64)} is not a capture time: give epoch seconds, milliseconds, microseconds or nanoseconds, or an ISO 8601 time, between 2000 and 2100`,
    };
  }
  return { ms };
}

/** Epoch seconds, ms, µs or ns (told apart by size: between 2000 and 2100 they do not overlap), as a number or a numeric string; or ISO 8601. */
function timeMs(value: unknown): number | undefined {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) return undefined;
  if (n < 1e11) return Math.round(n * 1000);
  if (n < 1e14) return Math.round(n);
  if (n < 1e17) return Math.round(n / 1e3);
  return Math.round(n / 1e6);
}

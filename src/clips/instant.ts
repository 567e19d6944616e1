// Times in requests: ISO 8601 with an explicit zone, so "14:03 yesterday" is never guessed.
import { ClipError } from './clip-error.ts';

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
/** A positive offset whose `+` became a space: a query string decodes `+` as a space, and the README's `?from=…+01:00` is typed unencoded. */
const PLUS_AS_SPACE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?) (\d{2}:?\d{2})$/;

export function parseInstant(text: unknown, field: string): number {
  if (typeof text !== 'string' || text === '')
    throw new ClipError(`${field} is missing: give an ISO 8601 time with a zone, e.g. 2025-12-14T14:03:10Z`, 'bad-request', field);
  const trimmed = text.trim().replace(PLUS_AS_SPACE, '$1+$2');
  if (!ISO_WITH_ZONE.test(trimmed)) {
    throw new ClipError(
      `${field} "${text.slice(0, 64)}" is not an ISO 8601 time with a zone; e.g. 2025-12-14T14:03:10Z or 2025-12-14T15:03:10+01:00`,
      'bad-request',
      field,
    );
  }
  const ms = Date.parse(trimmed);
  if (Number.isNaN(ms)) throw new ClipError(`${field} "${text.slice(0, 64)}" is not a valid date`, 'bad-request', field);
  return ms;
}

export function parseRange(from: unknown, to: unknown, maxMs: number): { fromMs: number; toMs: number } {
  const fromMs = parseInstant(from, 'from');
  const toMs = parseInstant(to, 'to');
  if (toMs <= fromMs) throw new ClipError('to must be after from', 'bad-request', 'to');
  if (toMs - fromMs > maxMs) throw new ClipError(`the range is longer than the limit of ${maxMs / 60_000} minutes; ask for a shorter one`, 'bad-request', 'to');
  return { fromMs, toMs };
}

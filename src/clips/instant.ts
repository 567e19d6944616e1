// Times in requests: ISO 8601 with an explicit zone, so "14:03 yesterday" is never guessed.
import { ClipError } from './clip-error.ts';

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

export function parseInstant(text: unknown, field: string): number {
  if (typeof text !== 'string' || text === '') throw new ClipError(`${field} is missing: give an ISO 8601 time with a zone, e.g. 2025-12-14T14:03:10Z`, 'bad-request', field);
  if (!ISO_WITH_ZONE.test(text.trim())) {
    throw new ClipError(`${field} "${text.slice(0, 64)}" is not an ISO 8601 time with a zone; e.g. 2025-12-14T14:03:10Z or 2025-12-14T15:03:10+01:00`, 'bad-request', field);
  }
  const ms = Date.parse(text.trim());
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

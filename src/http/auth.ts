// The bearer check in front of every /api route. Constant-time compare, so the token cannot be
// guessed a byte at a time from response times; without API_TOKEN the routes are off and say so.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './request-input.ts';

export const ROUTES_OFF = 'the /api routes are off: set API_TOKEN to turn them on';
export const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="camera-recorder"' };

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(req: FastifyRequest): string | undefined {
  const m = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1]?.trim();
}

/** Whether `given` is `expected`, compared in constant time; an empty expected token matches nothing. */
export function tokenMatches(given: string | undefined, expected: string | undefined): boolean {
  if (given === undefined || expected === undefined || expected === '') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Throws the 404 (no token configured) or 401 (missing or wrong token) the request deserves. */
export function bearerCheck(token: string): (req: FastifyRequest) => void {
  return (req) => {
    if (token === '') throw new HttpError(404, ROUTES_OFF);
    if (!tokenMatches(bearerToken(req), token)) {
      throw new HttpError(401, 'missing or wrong bearer token: send Authorization: Bearer <API_TOKEN>', undefined, CHALLENGE);
    }
  };
}

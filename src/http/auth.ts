// The bearer check in front of every /api route. Constant-time compare, so the token cannot be
// guessed a byte at a time from response times; without API_TOKEN the routes are off and say so.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './request-input.ts';

export const ROUTES_OFF = 'the /api routes are off: set API_TOKEN to turn them on';
export const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="camera-recorder"' };

/** Throws the 404 (no token configured) or 401 (missing or wrong token) the request deserves. */
export function bearerCheck(token: string): (req: FastifyRequest) => void {
  const expected = Buffer.from(token);
  return (req) => {
    if (expected.length === 0) throw new HttpError(404, ROUTES_OFF);
    const m = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    const given = Buffer.from(m?.[1]?.trim() ?? '');
    if (!m || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpError(401, 'missing or wrong bearer token: send Authorization: Bearer <API_TOKEN>', undefined, CHALLENGE);
    }
  };
}

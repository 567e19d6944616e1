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

/**
 * The `?token=` of a route that takes it (a browser's WebSocket cannot set headers). Read leniently:
 * a broken escape simply does not match, so the 401 never echoes what was sent.
 */
function queryToken(req: FastifyRequest): string | undefined {
  const q = req.url.indexOf('?');
  return q < 0 ? undefined : (new URLSearchParams(req.url.slice(q + 1)).get('token') ?? undefined);
}

/** A route's config flag: it takes the token as `?token=` too. */
export interface TokenInQuery {
  tokenInQuery?: boolean;
}

/** Throws the 404 (no token configured) or 401 (missing or wrong token) the request deserves. */
export function bearerCheck(token: string): (req: FastifyRequest) => void {
  return (req) => {
    if (token === '') throw new HttpError(404, ROUTES_OFF);
    if (tokenMatches(bearerToken(req), token)) return;
    const inQuery = (req.routeOptions.config as TokenInQuery | undefined)?.tokenInQuery === true;
    if (inQuery && tokenMatches(queryToken(req), token)) return;
    const how = inQuery
      ? 'send Authorization: Bearer <API_TOKEN>, or where a header cannot be set (a browser), the API token in the query parameter `token`'
      : 'send Authorization: Bearer <API_TOKEN>';
    throw new HttpError(401, `missing or wrong bearer token: ${how}`, undefined, CHALLENGE);
  };
}

// Schemas every route shares: the error body, and the error answers a route can give.
import { type TSchema, Type } from '@sinclair/typebox';

export const ErrorSchema = Type.Object(
  {
    error: Type.String({ description: 'What went wrong and how to fix it.' }),
    field: Type.Optional(Type.String({ description: 'The request field, parameter or path part at fault.' })),
  },
  { examples: [{ error: 'unknown camera "cam-9"', field: 'camera' }] },
);

const ERROR_MEANING: Record<number, string> = {
  400: 'The request is invalid; `field` names what.',
  401: 'Missing or wrong bearer token.',
  404: 'No such resource, or the /api routes are off (no API_TOKEN).',
  409: 'Conflicts with the current state.',
  413: 'The body is over 64 KiB.',
  415: 'The body is not sent as application/json.',
  426: 'A WebSocket route asked with a plain GET: connect with a WebSocket client.',
  429: 'Too many clip exports running or waiting.',
  500: 'An internal error (logged with the request id).',
  503: 'A dependency (the store, the disk, the camera registry) is not answering.',
  507: "The recorder's disk is full.",
};

/** The error answers of a route, described. 401 applies to every /api route. */
export function errors(...codes: number[]): Record<number, TSchema> {
  return Object.fromEntries([401, ...codes].map((c) => [c, { ...ErrorSchema, description: ERROR_MEANING[c] ?? 'An error.' }]));
}

/** An ISO 8601 instant as the README writes them. */
export const Instant = (description: string, example: string) => Type.String({ description, examples: [example] });

// Reading what a client sent: path parts, query parameters and JSON bodies. Input that cannot be
// read (bad percent-encoding, a body that is not JSON) is the client's mistake: a 400 naming where.

import type { IncomingMessage } from 'node:http';

export class HttpError extends Error {
  readonly status: number;
  readonly field: string | undefined;
  constructor(status: number, message: string, field?: string) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

const MAX_BODY = 64 * 1024;

/** Decodes one percent-encoded piece of a URL; `field` names it in the 400. */
export function decodeComponent(text: string, field: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new HttpError(400, `${field} is not valid percent-encoding ("${text.slice(0, 64)}"): encode it as UTF-8, e.g. with encodeURIComponent`, field);
  }
}

/**
 * A query parameter, decoded strictly: URLSearchParams turns a broken escape into U+FFFD, which
 * would then be reported as a bad value instead of bad encoding. `+` is a space, as in forms.
 */
export function queryParam(url: URL, name: string): string | undefined {
  for (const pair of url.search.slice(1).split('&')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (decodeComponent(key.replaceAll('+', ' '), 'query') !== name) continue;
    return decodeComponent((eq < 0 ? '' : pair.slice(eq + 1)).replaceAll('+', ' '), name);
  }
  return undefined;
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'send the body as JSON with Content-Type: application/json', 'body');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `the body is over ${MAX_BODY} bytes`, 'body');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `the body is not valid JSON (${(err as Error).message.slice(0, 120)})`, 'body');
  }
}

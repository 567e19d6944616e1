// Reading what a client sent beyond what the JSON schemas check: percent-encoding of path parts and
// query parameters. Input that cannot be read is the client's mistake: a 400 naming where.

export class HttpError extends Error {
  readonly status: number;
  readonly field: string | undefined;
  /** Extra response headers, e.g. Retry-After on a 429. */
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, field?: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.field = field;
    this.headers = headers;
  }
}

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

/** Every query parameter, decoded strictly (the first of a repeated name wins); throws a 400 naming the parameter. */
export function parseQuery(search: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (search === '') return out;
  for (const pair of search.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent((eq < 0 ? pair : pair.slice(0, eq)).replaceAll('+', ' '), 'query');
    const value = decodeComponent((eq < 0 ? '' : pair.slice(eq + 1)).replaceAll('+', ' '), key);
    if (!(key in out)) out[key] = value;
  }
  return out;
}

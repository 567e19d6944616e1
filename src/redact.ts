// Secrets never reach a log line, an error or /metrics. Two layers: every configured secret value is
// masked wherever it appears (ffmpeg's stderr, SDK error messages), raw, percent-encoded or
// JSON-escaped; then URL credentials and password-like query parameters are masked by pattern.
// The order matters: a password holding "@" would otherwise be cut in two by the URL pattern and
// its tail would no longer match the registered value.

// The password runs to the last "@" before whitespace or a quote: a raw "@", "/" or "#" in it is
// masked whole (overmasking a path that holds "@" is the safe mistake).
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s@:"'<>]*):([^\s"'<>]*)@/gi;
const PASSWORD_PARAM = /\b(password|passwd|pwd|pass|token|secret|signature|x-amz-signature|x-amz-credential)=([^&\s"']+)/gi;
const MASK = '***';

export function redactUrl(text: string): string {
  return text.replace(URL_CREDENTIALS, `$1$2:${MASK}@`).replace(PASSWORD_PARAM, `$1=${MASK}`);
}

/**
 * One URL (a camera's source, not a log line) with its password masked by position: everything
 * between the first ":" after the user name and the last "@" is the password, whatever it holds.
 * The pattern of redactUrl stops at quotes, "<", ">" and spaces (in a log line they end the URL),
 * so a password holding one of them would pass it whole into a stored record or an answer.
 */
export function maskUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/is.exec(url);
  const rest = m?.[2] ?? '';
  const at = rest.lastIndexOf('@');
  const colon = rest.slice(0, Math.max(at, 0)).indexOf(':');
  if (!m || at < 0 || colon < 0) return redactUrl(url);
  return redactUrl(`${m[1]}${rest.slice(0, colon)}:${MASK}@${rest.slice(at + 1)}`);
}

/** The user-info of a URL exactly as written (`user:pa@ss` of `rtsp://user:pa@ss@host/x`), if it has one. */
export function rawUserinfo(url: string): { user: string; password: string | undefined } | undefined {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
  const at = authority.lastIndexOf('@');
  if (at < 0) return undefined;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  return colon < 0 ? { user: userinfo, password: undefined } : { user: userinfo.slice(0, colon), password: userinfo.slice(colon + 1) };
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a stray "%": the text is its own decoded form
  }
}

export class Redactor {
  #secrets: string[] = [];

  /** Registers secret values; short ones (under 4 characters) would mask innocent text and are matched by pattern only. */
  add(...values: (string | undefined)[]): void {
    for (const v of values) {
      if (v === undefined || v.length < 4) continue;
      for (const form of [v, encodeURIComponent(v), JSON.stringify(v).slice(1, -1)]) {
        if (!this.#secrets.includes(form)) this.#secrets.push(form);
      }
    }
    this.#secrets.sort((a, b) => b.length - a.length); // longest first, so a secret inside another is masked whole
  }

  /** Registers the password of every URL given: as written, as the URL parser normalizes it, and decoded. */
  addUrlPasswords(urls: string[]): void {
    for (const u of urls) {
      const written = rawUserinfo(u)?.password;
      let parsed: string | undefined;
      try {
        parsed = new URL(u).password || undefined;
      } catch {
        /* not a URL: what was written is all there is */
      }
      this.add(written, written === undefined ? undefined : decoded(written), parsed, parsed === undefined ? undefined : decoded(parsed));
    }
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.#secrets) if (out.includes(s)) out = out.split(s).join(MASK);
    return redactUrl(out);
  }
}

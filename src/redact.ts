// Secrets never reach a log line, an error or /metrics. Two layers: URL credentials and password-like
// query parameters are masked by pattern, and every configured secret value is masked wherever it
// appears (ffmpeg's stderr, SDK error messages), raw, percent-encoded or JSON-escaped.

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^/\s@:"']*):([^/\s@"']*)@/gi;
const PASSWORD_PARAM = /\b(password|passwd|pwd|pass|token|secret|signature|x-amz-signature|x-amz-credential)=([^&\s"']+)/gi;
const MASK = '***';

export function redactUrl(text: string): string {
  return text.replace(URL_CREDENTIALS, `$1$2:${MASK}@`).replace(PASSWORD_PARAM, `$1=${MASK}`);
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

  /** Registers the password of every URL given. */
  addUrlPasswords(urls: string[]): void {
    for (const u of urls) {
      try {
        const url = new URL(u);
        if (url.password) this.add(decodeURIComponent(url.password), url.password);
      } catch {
        /* not a URL: nothing to learn */
      }
    }
  }

  scrub(text: string): string {
    let out = redactUrl(text);
    for (const s of this.#secrets) if (out.includes(s)) out = out.split(s).join(MASK);
    return out;
  }
}

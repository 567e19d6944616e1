// Calls the recorder's /api as an integrator would: bearer token, JSON bodies. Every answer's body
// is also kept, so a test can check afterwards that no answer ever held a secret.
export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

export class ApiClient {
  readonly answers: string[] = [];
  readonly #base: string;
  readonly #token: string;

  constructor(port: number, token: string) {
    this.#base = `http://127.0.0.1:${port}`;
    this.#token = token;
  }

  async call(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const res = await fetch(`${this.#base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    this.answers.push(text);
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* not JSON: the test looks at `text` */
    }
    return { status: res.status, body: parsed, text };
  }
}

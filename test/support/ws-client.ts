// A WebSocket client for tests of /api/ws (the ws package): it keeps every message it receives, in
// order, and lets a test wait for one; a refused handshake gives its status and JSON body.
import WebSocket from 'ws';
import { until } from './until.ts';

export interface Refusal {
  status: number;
  body: { error: string; field?: string };
}

export class WsClient {
  readonly socket: WebSocket;
  readonly messages: Record<string, unknown>[] = [];
  /** Binary frames received: the server sends text frames only. */
  binaryFrames = 0;
  /** The close code and reason, once closed. */
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data, isBinary) => {
      if (isBinary) this.binaryFrames++;
      this.messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  /** Opens a connection; rejects with the Refusal when the server answers the handshake with an error. */
  static open(url: string, options: { token?: string; autoPong?: boolean } = {}): Promise<WsClient> {
    const headers = options.token ? { authorization: `Bearer ${options.token}` } : undefined;
    const socket = new WebSocket(url, { ...(headers ? { headers } : {}), autoPong: options.autoPong ?? true });
    const client = new WsClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += String(c)));
        res.on('end', () => reject({ status: res.statusCode ?? 0, body: JSON.parse(body) } satisfies Refusal));
      });
      socket.once('error', reject);
    });
  }

  /** The refusal of a handshake that must fail. */
  static async refused(url: string, options: { token?: string } = {}): Promise<Refusal> {
    try {
      const c = await WsClient.open(url, options);
      c.socket.close();
    } catch (e) {
      if (typeof e === 'object' && e !== null && 'status' in e) return e as Refusal;
      throw e;
    }
    throw new Error(`the handshake to ${url} succeeded`);
  }

  /** Waits for the first message after index `from` that `match` takes. */
  async next(what: string, match: (m: Record<string, unknown>) => boolean, from = 0, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    return until(what, () => this.messages.slice(from).find(match), { timeoutMs, everyMs: 5 });
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
  }
}

// A loopback HTTP proxy in front of a real store that answers chosen requests with an S3 error
// instead of forwarding them: how a store fails one request of many (a part of a multipart upload)
// without taking the whole store down. With a throttle, it is also a slow (not dead) uplink. It can
// also forward chosen requests with one byte of their body flipped (same size): a network, gateway
// or proxy that damages bytes on the way.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';

export interface FaultProxy {
  endpoint: string;
  /** Every request seen, as "METHOD path?query", in arrival order. */
  readonly seen: string[];
  /** Requests forwarded with a flipped byte, as "METHOD path?query". */
  readonly corrupted: string[];
  close(): Promise<void>;
}

/**
 * Forwards everything to `target` except requests for which `fail` returns true: those get
 * `500 InternalError` after their body was read (as a store that fails while writing would).
 */
export async function startFaultProxy(target: string, fail: (req: IncomingMessage) => boolean, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const upstream = new URL(target);
  const link = options.throttleBytesPerSecond === undefined ? undefined : new SlowLink(options.throttleBytesPerSecond);
  const seen: string[] = [];
  const corrupted: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (fail(req)) {
      req.resume();
      req.on('end', () => {
        res.writeHead(500, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>failure injected by the test proxy</Message></Error>');
      });
      return;
    }
    const { expect: _expect, ...headers } = req.headers; // node's server already answered 100-continue
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.on('close', () => {
      if (!req.complete) out.destroy(); // the client gave up: so does the request to the store
    });
    const length = Number(req.headers['content-length'] ?? 0);
    let body: NodeJS.ReadableStream = req;
    if (length > 0 && options.corrupt?.(req)) {
      corrupted.push(`${req.method} ${req.url}`);
      body = body.pipe(flipByte(Math.floor(length / 2)));
    }
    if (link) body = body.pipe(link.throttle());
    body.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    corrupted,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface FaultProxyOptions {
  /** Request bodies (uploads) of all connections together pass at this rate, as over a slow uplink. */
  throttleBytesPerSecond?: number;
  /** Requests whose body is forwarded with one byte flipped. */
  corrupt?: (req: IncomingMessage) => boolean;
}

/** One shared link: each slice of a body waits until the bytes before it, from any request, have passed. */
class SlowLink {
  #bytesPerMs: number;
  #freeAt = 0;
  constructor(bytesPerSecond: number) {
    this.#bytesPerMs = bytesPerSecond / 1000;
  }
  throttle(): Transform {
    const slice = Math.max(1024, Math.round(this.#bytesPerMs * 100)); // ~100 ms per slice: a smooth rate
    const link = this;
    return new Transform({
      async transform(chunk: Buffer, _encoding, done) {
        for (let at = 0; at < chunk.length; at += slice) {
          const part = chunk.subarray(at, at + slice);
          link.#freeAt = Math.max(link.#freeAt, Date.now()) + part.length / link.#bytesPerMs;
          await new Promise((r) => setTimeout(r, link.#freeAt - Date.now()));
          this.push(part);
        }
        done();
      },
    });
  }
}

/** Passes a body through with the byte at `offset` inverted. */
function flipByte(offset: number): Transform {
  let at = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (offset >= at && offset < at + chunk.length) {
        chunk = Buffer.from(chunk);
        chunk[offset - at] = (chunk[offset - at] as number) ^ 0xff;
      }
      at += chunk.length;
      done(null, chunk);
    },
  });
}

// A TCP proxy in front of an RTSP camera that can freeze the media of the connections it holds:
// the connection stays open, RTSP replies and RTCP reports still pass, but no RTP packet does any
// more — a camera that accepts the connection and stops sending (a hung encoder). The RTCP reports
// keep ffmpeg's socket timeout from firing, as a real camera's do. New connections pass again.
// With interleaved RTSP over TCP every media packet is framed as '$', channel, 16-bit length:
// even channels carry RTP, odd ones RTCP.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RtspProxy {
  port: number;
  /** rtsp://127.0.0.1:PROXY_PORT/mount */
  url(mount: string): string;
  /** Stops the media of every connection open now; returns how many. */
  freeze(): number;
  close(): Promise<void>;
}

/** Splits the server's byte stream into RTSP messages and interleaved frames, and forwards them unless dropped. */
class ServerStream {
  frozen = false;
  #buffer = Buffer.alloc(0);
  #out: Socket;

  constructor(out: Socket) {
    this.#out = out;
  }

  push(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const size = this.#nextSize();
      if (size === undefined || this.#buffer.length < size) return;
      const unit = this.#buffer.subarray(0, size);
      this.#buffer = this.#buffer.subarray(size);
      const rtp = unit[0] === 0x24 && (unit[1] as number) % 2 === 0;
      if (!(this.frozen && rtp)) this.#out.write(unit);
    }
  }

  /** Bytes of the next whole unit, undefined while its header is incomplete. */
  #nextSize(): number | undefined {
    const b = this.#buffer;
    if (b.length === 0) return undefined;
    if (b[0] === 0x24) return b.length < 4 ? undefined : 4 + b.readUInt16BE(2);
    const end = b.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(b.subarray(0, end).toString('latin1'));
    return end + 4 + Number(length?.[1] ?? 0);
  }
}

export async function startRtspProxy(targetPort: number): Promise<RtspProxy> {
  const open = new Set<{ client: Socket; upstream: Socket; stream: ServerStream }>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const stream = new ServerStream(client);
    const pair = { client, upstream, stream };
    open.add(pair);
    for (const s of [client, upstream]) s.on('error', () => undefined);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => stream.push(chunk));
    const done = (): void => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', done);
    upstream.on('close', done);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: (mount) => `rtsp://127.0.0.1:${port}${mount.startsWith('/') ? mount : `/${mount}`}`,
    freeze: () => {
      for (const { stream } of open) stream.frozen = true;
      return open.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { client, upstream } of open) {
          client.destroy();
          upstream.destroy();
        }
        server.close(() => resolve());
      }),
  };
}

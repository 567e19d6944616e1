// A TCP proxy in front of an RTSP camera that can freeze: the connections it holds stay open but no
// byte passes any more, in either direction — a camera that accepts the connection and stops
// sending (a hung encoder, a Wi-Fi bridge that lost its far side). New connections pass again.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RtspProxy {
  port: number;
  /** rtsp://127.0.0.1:PROXY_PORT/mount */
  url(mount: string): string;
  /** Freezes every connection open now; returns how many. */
  freeze(): number;
  close(): Promise<void>;
}

export async function startRtspProxy(targetPort: number): Promise<RtspProxy> {
  const open = new Set<{ client: Socket; upstream: Socket }>();
  const frozen = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    open.add(pair);
    for (const s of [client, upstream]) s.on('error', () => undefined);
    client.pipe(upstream);
    upstream.pipe(client);
    const done = (): void => {
      open.delete(pair);
      if (frozen.has(client)) return; // a frozen camera does not hang up either
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
      for (const { client, upstream } of open) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
        frozen.add(client);
      }
      const n = open.size;
      open.clear();
      return n;
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of frozen) s.destroy();
      for (const { client, upstream } of open) {
        client.destroy();
        upstream.destroy();
      }
      server.close(() => resolve());
    }),
  };
}

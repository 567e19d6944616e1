import { createServer } from 'node:net';

/**
 * A TCP port that was free on 127.0.0.1 a moment ago: listens on port 0, reads the port the
 * kernel picked (from the ephemeral range), closes. Another process could take it before the
 * caller binds it, so servers started on it should fail loudly when the port is busy.
 */
export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error(`freePort: unexpected server address ${String(addr)}`));
        return;
      }
      const { port } = addr;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

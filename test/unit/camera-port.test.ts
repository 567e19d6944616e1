import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { describe, test } from 'node:test';
import { systemClock } from '../../src/clock.ts';
import { portOpen, rtspEndpoint, waitForPort } from '../../src/camera/camera-port.ts';
import { freePort } from '../support/ports.ts';

const listen = (port: number): Promise<Server> =>
  new Promise((resolve) => {
    const server = createServer((socket) => socket.destroy());
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

describe('camera port', () => {
  test('the endpoint of an RTSP URL: host, port or the scheme default; none for other sources', () => {
    assert.deepEqual(rtspEndpoint('rtsp://admin:secret@127.0.0.1:8554/stream1'), { host: '127.0.0.1', port: 8554 });
    assert.deepEqual(rtspEndpoint('rtsp://cam.local/h264'), { host: 'cam.local', port: 554 });
    assert.deepEqual(rtspEndpoint('rtsps://[::1]/s'), { host: '::1', port: 322 });
    assert.equal(rtspEndpoint('synthetic:?fps=15'), undefined);
    assert.equal(rtspEndpoint('not a url'), undefined);
  });

  test('portOpen tells a listening port from a closed one', async () => {
    const port = await freePort();
    assert.equal(await portOpen({ host: '127.0.0.1', port }, 1000), false);
    const server = await listen(port);
    try {
      assert.equal(await portOpen({ host: '127.0.0.1', port }, 1000), true);
    } finally {
      await close(server);
    }
  });

  test('waitForPort returns "open" once the camera listens again, long before the backoff ends', async () => {
    const port = await freePort();
    let server: Server | undefined;
    const later = setTimeout(() => void listen(port).then((s) => (server = s)), 500);
    try {
      const result = await waitForPort({ host: '127.0.0.1', port }, 120_000, { clock: systemClock, signal: new AbortController().signal, everyMs: 100 });
      assert.equal(result, 'open');
    } finally {
      clearTimeout(later);
      if (server) await close(server);
    }
  });

  test('waitForPort gives up at the end of the backoff, and stops when aborted', async () => {
    const port = await freePort();
    const ep = { host: '127.0.0.1', port };
    assert.equal(await waitForPort(ep, 300, { clock: systemClock, signal: new AbortController().signal, everyMs: 100 }), 'timeout');
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 200);
    assert.equal(await waitForPort(ep, 120_000, { clock: systemClock, signal: stop.signal, everyMs: 100 }), 'aborted');
  });
});

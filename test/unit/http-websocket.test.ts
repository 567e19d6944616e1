// GET /api/ws through the real server on a loopback port, with a real event bus the test emits on:
// the states come first, the filters hold, the token is checked before the upgrade and never
// logged, a slow client is closed and counted while a fast one gets everything, the client limit,
// the keepalive and the 1001 at stop.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { CameraStates } from '../../src/events/camera-states.ts';
import { EventBus } from '../../src/events/event-bus.ts';
import { createSinkMetrics, type SinkMetrics } from '../../src/events/sink-metrics.ts';
import { createLogger } from '../../src/logger.ts';
import { Redactor } from '../../src/redact.ts';
import { assertCameraState, assertEnvelope } from '../support/event-schema.ts';
import { FakeCameraService } from '../support/fake-camera-service.ts';
import { startHttp, TOKEN, type TestServer } from '../support/http-server.ts';
import { until } from '../support/until.ts';
import { WsClient } from '../support/ws-client.ts';

interface Setup {
  http: TestServer;
  bus: EventBus;
  states: CameraStates;
  metrics: SinkMetrics;
  ws(query?: string): string;
}

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

async function start(options: { env?: Record<string, string>; maxBufferedBytes?: number; pingIntervalMs?: number } = {}): Promise<Setup> {
  const bus = new EventBus({ log: createLogger('silent', new Redactor(), new Writable({ write: (_c, _e, done) => done() })) });
  const states = new CameraStates();
  bus.subscribe((e) => states.apply(e));
  const metrics = createSinkMetrics(new Registry());
  const http = await startHttp(new FakeCameraService(['cam-a', 'cam-b']), {
    events: { bus, states, metrics, ...options },
    ...(options.env ? { env: options.env } : {}),
  });
  servers.push(http);
  const now = Date.now();
  states.track('cam-a', 'rtsp', now);
  states.track('cam-b', 'http_push', now);
  return { http, bus, states, metrics, ws: (query = '') => `${http.url.replace('http:', 'ws:')}/api/ws${query}` };
}

async function count(metrics: SinkMetrics, which: 'published' | 'dropped'): Promise<number> {
  return (await metrics[which].get()).values.find((v) => v.labels.sink === 'websocket')?.value ?? 0;
}

const clients = async (metrics: SinkMetrics): Promise<number> => (await metrics.websocketClients.get()).values[0]?.value ?? 0;
const types = (c: WsClient): unknown[] => c.messages.map((m) => (m.type === 'state' ? `state:${String(m.camera_id)}` : m.type));
const since = new Date().toISOString();

describe('GET /api/ws', { timeout: 120_000 }, () => {
  test('the first messages are the current states of the cameras the filter takes, then the live envelopes it takes', async () => {
    const { bus, ws } = await start();
    bus.emit('camera.connected', 'cam-a', { source_type: 'rtsp' });
    const c = await WsClient.open(ws('?camera=cam-a'), { token: TOKEN });
    bus.emit('motion.detected', 'cam-b', { area: 0.2, box: null, since });
    bus.emit('health.problem', 'cam-a', { problem: 'black', since });
    bus.emit('camera.disconnected', 'cam-a', { source_type: 'rtsp', reason: 'stalled' });
    await c.next('the disconnect', (m) => m.type === 'camera.disconnected');
    assert.deepEqual(types(c), ['state:cam-a', 'health.problem', 'camera.disconnected']);
    const [state, ...envelopes] = c.messages;
    assert.equal(state?.v, 1);
    assertCameraState(state?.state);
    assert.equal((state?.state as { connected: boolean } | undefined)?.connected, true, 'the state holds what happened before the client came');
    for (const e of envelopes) assertEnvelope(e);
    assert.equal(c.binaryFrames, 0, 'text frames, for a browser’s onmessage to get strings');
    await c.close();
  });

  test('?type= takes exact types and prefix.* wildcards, alone or with ?camera=', async () => {
    const { bus, ws } = await start();
    const byType = await WsClient.open(ws('?type=motion.*,health.problem'), { token: TOKEN });
    const both = await WsClient.open(ws('?camera=cam-b&type=health.*'), { token: TOKEN });
    bus.emit('camera.connected', 'cam-b', { source_type: 'http_push' });
    bus.emit('motion.detected', 'cam-a', { area: 0.2, box: { x: 0.1, y: 0.1, w: 0.5, h: 0.5 }, since });
    bus.emit('health.ok', 'cam-b', { problem: 'frozen', since });
    bus.emit('motion.ended', 'cam-a', { since, duration_seconds: 3, max_area: 0.2, box: null });
    bus.emit('health.problem', 'cam-b', { problem: 'covered', since }); // the last, taken by both
    await byType.next('the last event', (m) => m.type === 'health.problem');
    await both.next('the last event', (m) => m.type === 'health.problem');
    assert.deepEqual(types(byType), ['state:cam-a', 'state:cam-b', 'motion.detected', 'motion.ended', 'health.problem']);
    assert.deepEqual(types(both), ['state:cam-b', 'health.ok', 'health.problem']);
    for (const m of [...byType.messages, ...both.messages]) if (m.type !== 'state') assertEnvelope(m);
    await Promise.all([byType.close(), both.close()]);
  });

  test('a bad filter is a 400 before the upgrade, naming the parameter; a plain GET is a 426', async () => {
    const { http, ws } = await start();
    for (const [query, field, says] of [
      ['?type=motion.started', 'type', /unknown event type "motion.started"; use one of camera.connected.*motion.\*/],
      ['?type=door.*', 'type', /unknown event type "door.\*"/],
      ['?type=motion.*,,health.ok', 'type', /empty item/],
      ['?camera=Front_Door', 'camera', /not a camera id/],
      ['?cameras=cam-a', 'cameras', /unknown query parameter "cameras"/],
    ] as const) {
      const refusal = await WsClient.refused(ws(query), { token: TOKEN });
      assert.equal(refusal.status, 400, query);
      assert.equal(refusal.body.field, field, query);
      assert.match(refusal.body.error, says, query);
    }
    const plain = await http.call('/api/ws');
    assert.equal(plain.status, 426);
    assert.match(((await plain.json()) as { error: string }).error, /is a WebSocket/);
  });

  test('without the token, or with a wrong one, the handshake is a 401; ?token= is taken on /api/ws only', async () => {
    const { http, ws } = await start();
    for (const [url, token] of [
      [ws(), undefined],
      [ws(), 'wrong-token-0000'],
      [ws('?token=wrong-token-0000'), undefined],
      [ws(`?token=${TOKEN}x`), undefined],
    ] as const) {
      const refusal = await WsClient.refused(url, token ? { token } : {});
      assert.equal(refusal.status, 401, `${url} ${token}`);
      assert.match(refusal.body.error, /Bearer <API_TOKEN>, or .* the query parameter `token`/);
    }
    const c = await WsClient.open(ws(`?token=${TOKEN}`));
    await c.next('a state', (m) => m.type === 'state');
    await c.close();
    assert.equal((await http.call(`/api/cameras?token=${TOKEN}`, { token: '' })).status, 401, 'other routes take the header only');
  });

  test('a token sent as ?token= is in no log line', async () => {
    const { http, ws } = await start();
    const c = await WsClient.open(ws(`?token=${encodeURIComponent(TOKEN)}&type=motion.*`));
    await c.next('a state', (m) => m.type === 'state');
    await c.close();
    await WsClient.refused(ws(`?token=${TOKEN}&type=nothing`)); // a 400
    await until('the client gone', () => http.logs.some((l) => l.msg === 'websocket client gone'));
    const lines = http.logs.map((l) => JSON.stringify(l));
    assert.ok(
      lines.some((l) => l.includes('websocket client connected')),
      'the connection is logged',
    );
    assert.deepEqual(
      lines.filter((l) => l.includes(TOKEN)),
      [],
    );
  });

  test('a client that stops reading is closed with 1008 and its misses counted, while a fast client gets everything and emitting never waits', async () => {
    const maxBufferedBytes = 256 * 1024;
    const { bus, metrics, http, ws } = await start({ maxBufferedBytes });
    const fast = await WsClient.open(ws('?type=event.accepted'), { token: TOKEN });
    const slow = await WsClient.open(ws('?type=event.accepted'), { token: TOKEN });
    slow.socket.pause(); // reads nothing more: the kernel's buffers fill, then the server's
    const metadata = 'x'.repeat(4096);
    let emitted = 0;
    // in small batches, so the fast client (in this process) gets to read between them
    while ((await count(metrics, 'dropped')) === 0 && emitted < 20_000) {
      for (let i = 0; i < 16; i++, emitted++) {
        bus.emit('event.accepted', 'cam-a', { event_id: String(emitted), at: since, pre_seconds: 1, post_seconds: 1, metadata });
      }
      await new Promise((r) => setImmediate(r));
    }
    const dropped = await count(metrics, 'dropped');
    assert.ok(dropped > 0, `the slow client was never over ${maxBufferedBytes} bytes in ${emitted} events`);
    const warning = http.logs.find((l) => l.msg === 'websocket client too slow: closing it');
    assert.ok(warning && (warning.buffered as number) <= maxBufferedBytes, 'closed before its unsent bytes passed the bound');
    const events = (c: WsClient) => c.messages.filter((m) => m.type === 'event.accepted');
    await until('the fast client has every event', () => events(fast).length === emitted, { timeoutMs: 60_000 });
    assert.deepEqual(
      events(fast).map((m) => (m.data as { event_id: string }).event_id),
      Array.from({ length: emitted }, (_, i) => String(i)),
    );
    slow.socket.resume();
    const closed = await slow.closed;
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /too slow/);
    // every event was either handed to a client's socket or counted as dropped for it
    const slowGot = events(slow).length;
    assert.equal(slowGot, emitted - dropped, 'what the slow client read is what it was sent');
    assert.equal(await count(metrics, 'published'), emitted + slowGot);
    await fast.close();
  });

  test('at most event_stream.websocket_max_clients clients: one more is closed with 1013 and the reason; the gauge counts them', async () => {
    const { metrics, ws } = await start({ env: { WEBSOCKET_MAX_CLIENTS: '2' } });
    const one = await WsClient.open(ws(), { token: TOKEN });
    const two = await WsClient.open(ws(), { token: TOKEN });
    assert.equal(await clients(metrics), 2);
    const three = await WsClient.open(ws(), { token: TOKEN });
    const refused = await three.closed;
    assert.equal(refused.code, 1013);
    assert.match(refused.reason, /too many WebSocket clients \(event_stream.websocket_max_clients = 2\)/);
    assert.deepEqual(three.messages, [], 'a refused client gets no state');
    await one.close();
    await until('the gauge down to 1', async () => (await clients(metrics)) === 1);
    const again = await WsClient.open(ws(), { token: TOKEN });
    await again.next('a state', (m) => m.type === 'state');
    await Promise.all([two.close(), again.close()]);
    await until('the gauge down to 0', async () => (await clients(metrics)) === 0);
  });

  test('with websocket_max_clients = 0 the route is off: a 404 saying how to turn it on', async () => {
    const { ws } = await start({ env: { WEBSOCKET_MAX_CLIENTS: '0' } });
    const refusal = await WsClient.refused(ws(), { token: TOKEN });
    assert.equal(refusal.status, 404);
    assert.match(refusal.body.error, /websocket_max_clients/);
  });

  test('a client that answers no ping is dropped; one that answers stays', async () => {
    const { metrics, bus, ws } = await start({ pingIntervalMs: 50 });
    const alive = await WsClient.open(ws(), { token: TOKEN });
    const dead = await WsClient.open(ws(), { token: TOKEN, autoPong: false });
    const gone = await dead.closed;
    assert.equal(gone.code, 1006, 'cut off, not closed politely: it is not listening');
    await until('the gauge down to 1', async () => (await clients(metrics)) === 1);
    bus.emit('camera.connected', 'cam-a', { source_type: 'rtsp' });
    await alive.next('an event after the dead one went', (m) => m.type === 'camera.connected');
    await alive.close();
  });

  test('stopping the server closes every client with 1001', async () => {
    const { http, ws } = await start();
    const a = await WsClient.open(ws(), { token: TOKEN });
    const b = await WsClient.open(ws('?camera=cam-b'), { token: TOKEN });
    await http.stop();
    for (const c of [a, b]) {
      const closed = await c.closed;
      assert.equal(closed.code, 1001);
      assert.match(closed.reason, /stopping/);
    }
  });
});

// The Redis sink as the app makes it (createEventStream from a configuration with REDIS_URL), against
// a real redis-server: envelopes on camera:{id} in emit order, the state key beside them, a late
// subscriber's first read, and a password-protected Redis.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../../src/errors.ts';
import type { AnyEnvelope } from '../../../src/events/event-types.ts';
import { startRedisServer } from '../../support/redis-server.ts';
import { clientOf, redisStream, stateOf, subscriber } from '../../support/redis-sink-fixtures.ts';
import { until } from '../../support/until.ts';

const ids = (es: AnyEnvelope[]): string[] => es.map((e) => e.id);

describe('redis sink', () => {
  test('envelopes reach a subscriber on camera:{id} in emit order; the state key follows each event, is gone after camera.removed, and a late reader finds it at once', async () => {
    const server = await startRedisServer();
    const { stream, metric } = redisStream({ REDIS_URL: server.url });
    const admin = await clientOf(server.url);
    const sub = await subscriber(server.url, ['camera-1']);
    try {
      const t0 = Date.now();
      stream.states.track('camera-3', 'rtsp', t0); // known before the sink connects: its state is written on connect
      stream.start();
      await until('the sink up', async () => (await metric('camera_event_sink_up')) === 1);
      assert.deepEqual(await stateOf(admin, 'camera-3'), stream.states.get('camera-3'));

      const emit = stream.bus;
      const steps: (() => void)[] = [
        () => emit.emit('camera.added', 'camera-1', { source_type: 'rtsp', labels: { site: 'a' }, defined_in: 'api' }),
        () => emit.emit('camera.connected', 'camera-1', { source_type: 'rtsp' }),
        () =>
          emit.emit('segment.uploaded', 'camera-1', {
            key: 'camera-1/20260101/000000.mp4',
            bytes: 1234,
            start: new Date(t0).toISOString(),
            end: new Date(t0 + 4000).toISOString(),
            sha256: 'a'.repeat(64),
          }),
        () => emit.emit('health.problem', 'camera-1', { problem: 'black', since: new Date(t0).toISOString() }),
        () => emit.emit('camera.disconnected', 'camera-1', { source_type: 'rtsp', reason: 'camera_unreachable' }),
        () => emit.emit('camera.connected', 'camera-1', { source_type: 'rtsp' }),
      ];
      const sent: AnyEnvelope[] = [];
      const keep = stream.bus.subscribe((e) => sent.push(e));
      for (const [i, step] of steps.entries()) {
        step();
        await until(`envelope ${i + 1} received`, () => sub.received.length === i + 1);
        // PUBLISH and SET run in one MULTI: once the envelope is here, so is the state it made
        assert.deepEqual(await stateOf(admin, 'camera-1'), stream.states.get('camera-1'), `state after ${sent[i]?.type}`);
      }
      assert.deepEqual(ids(sub.received), ids(sent));
      assert.deepEqual(
        sub.received.map((e) => e.type),
        ['camera.added', 'camera.connected', 'segment.uploaded', 'health.problem', 'camera.disconnected', 'camera.connected'],
      );
      const last = (await stateOf(admin, 'camera-1')) as { connected: boolean; problems: string[]; last_segment: { key: string } };
      assert.equal(last.connected, true);
      assert.deepEqual(last.problems, ['black']);
      assert.equal(last.last_segment.key, 'camera-1/20260101/000000.mp4');

      // a subscriber arriving late: nothing on the channel, but the key says where the camera is
      emit.emit('camera.connected', 'camera-2', { source_type: 'http_push' });
      await until('camera-2 state', async () => (await stateOf(admin, 'camera-2')) !== null);
      const late = await clientOf(server.url);
      try {
        const state = (await stateOf(late, 'camera-2')) as { connected: boolean; source_type: string };
        assert.equal(state.connected, true);
        assert.equal(state.source_type, 'http_push');
      } finally {
        late.destroy();
      }

      emit.emit('camera.removed', 'camera-1', { source_type: 'rtsp', defined_in: 'api' });
      await until('camera.removed received', () => sub.received.at(-1)?.type === 'camera.removed');
      assert.equal(await stateOf(admin, 'camera-1'), null, 'the state key of a removed camera is deleted');
      keep();
      assert.equal(await metric('camera_events_published_total'), steps.length + 2);
      assert.equal(await metric('camera_events_dropped_total'), 0);
    } finally {
      await stream.stop();
      sub.client.destroy();
      admin.destroy();
      await server.close();
    }
  });

  test('a REDIS_URL that is not redis:// or rediss://: a configuration error when the configuration is read, naming where it was set, the password masked', () => {
    for (const url of ['http://rec:hunter2-redis@127.0.0.1:6379', 'localhost:6379', 'redis//127.0.0.1']) {
      assert.throws(
        () => redisStream({ REDIS_URL: url }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.equal(err.problems[0]?.key, 'REDIS_URL (environment)', 'named where it was set');
          assert.match(err.message, /e\.g\. redis:\/\/redis:6379/);
          assert.ok(!err.message.includes('hunter2'), err.message);
          return true;
        },
        url,
      );
    }
  });

  describe('a Redis with a password (requirepass)', () => {
    const PASSWORD = 'redis-sink-s3cret-pw';

    for (const [how, env] of [
      ['in the URL', (port: number) => ({ REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${port}` })],
      ['in REDIS_PASSWORD', (port: number) => ({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_PASSWORD: PASSWORD })],
      [
        'in REDIS_PASSWORD, over a wrong one in the URL',
        (port: number) => ({ REDIS_URL: `redis://:not-it-at-all@127.0.0.1:${port}`, REDIS_PASSWORD: PASSWORD }),
      ],
    ] as const) {
      test(`the password ${how}: events are published`, async () => {
        const server = await startRedisServer({ password: PASSWORD });
        const url = `redis://:${PASSWORD}@127.0.0.1:${server.port}`;
        const { stream, metric, lines } = redisStream(env(server.port));
        const sub = await subscriber(url, ['camera-1']);
        try {
          stream.start();
          await until('the sink up', async () => (await metric('camera_event_sink_up')) === 1);
          stream.bus.emit('camera.connected', 'camera-1', { source_type: 'rtsp' });
          await until('the envelope received', () => sub.received.length === 1);
          assert.ok(!lines.some((l) => l.includes(PASSWORD)), lines.join(''));
        } finally {
          await stream.stop();
          sub.client.destroy();
          await server.close();
        }
      });
    }

    test('a wrong password: refused, tried again with growing waits, the sink stays down, and neither password is in any log line', async () => {
      const server = await startRedisServer({ password: PASSWORD });
      const WRONG = 'wrong-redis-passw0rd';
      const { stream, metric, lines } = redisStream({ REDIS_URL: `redis://:${WRONG}@127.0.0.1:${server.port}`, EVENT_RECONNECT_INITIAL: '100ms' });
      try {
        stream.start();
        stream.bus.emit('camera.connected', 'camera-1', { source_type: 'rtsp' });
        const refusals = () =>
          lines.map((l) => JSON.parse(l) as { msg: string; err?: string; retryInMs?: number }).filter((l) => l.msg === 'event sink cannot connect; will retry');
        await until('four refusals', () => refusals().length >= 4);
        const tries = refusals();
        assert.match(tries[0]?.err ?? '', /WRONGPASS/);
        assert.match(tries[0]?.err ?? '', /redis:\/\/:\*\*\*@127\.0\.0\.1/, 'says which Redis, its password masked');
        // backoff with jitter: the base doubles, so the fourth wait is longer than the first
        assert.ok((tries[3]?.retryInMs ?? 0) > (tries[0]?.retryInMs ?? Infinity), JSON.stringify(tries.map((t) => t.retryInMs)));
        assert.equal(await metric('camera_event_sink_up'), 0);
        assert.equal(stream.sinks[0]?.queued, 1, 'the event waits in the outbox');
        for (const secret of [WRONG, PASSWORD]) assert.ok(!lines.some((l) => l.includes(secret)), lines.join(''));
      } finally {
        await stream.stop();
        await server.close();
      }
    });
  });
});

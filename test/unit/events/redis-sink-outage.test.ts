// The Redis sink when Redis goes away (the server killed and started again on its port, empty) or
// stops answering (its process frozen with SIGSTOP: the kernel still takes connections, Redis says
// nothing): the emitter never waits, the sink shows down, a small outbox drops its oldest and
// counts them, and the sink comes back by itself with the newest events in order and every state.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { systemClock } from '../../../src/clock.ts';
import { CameraStates } from '../../../src/events/camera-states.ts';
import { EventBus } from '../../../src/events/event-bus.ts';
import type { AnyEnvelope } from '../../../src/events/event-types.ts';
import { QueuedSink } from '../../../src/events/queued-sink.ts';
import { RedisTransport } from '../../../src/events/redis-transport.ts';
import { createSinkMetrics } from '../../../src/events/sink-metrics.ts';
import { lineLogger } from '../../support/line-logger.ts';
import { startRedisServer } from '../../support/redis-server.ts';
import { CHANNEL, clientOf, HoldableClock, redisStream, STATE_KEY, stateOf, subscriber } from '../../support/redis-sink-fixtures.ts';
import { until } from '../../support/until.ts';

const ids = (es: AnyEnvelope[]): string[] => es.map((e) => e.id);

describe('redis sink and a Redis that goes away', () => {
  test('Redis killed: the emitter never waits, the sink is down, the oldest are dropped and counted; Redis back on its port: the newest arrive in order and every state is written again', async () => {
    const server = await startRedisServer();
    const clock = new HoldableClock();
    const { stream, metric } = redisStream({ REDIS_URL: server.url, EVENT_OUTBOX_SIZE: '10' }, clock);
    let sub = await subscriber(server.url, ['camera-1', 'camera-2']);
    try {
      stream.start();
      await until('the sink up', async () => (await metric('camera_event_sink_up')) === 1);
      stream.bus.emit('camera.connected', 'camera-3', { source_type: 'rtsp' }); // no event of it in the outage
      stream.bus.emit('camera.connected', 'camera-1', { source_type: 'rtsp' });
      await until('the first envelope', () => sub.received.length === 1);

      clock.held = true; // the sink's reconnect waits until the test's subscriber is back
      sub.client.destroy();
      await server.stop();
      await until('the sink down', async () => (await metric('camera_event_sink_up')) === 0);
      const sent: AnyEnvelope[] = [];
      for (let i = 0; i < 25; i++) {
        const id = i % 2 === 0 ? 'camera-1' : 'camera-2';
        sent.push(
          i % 4 < 2
            ? stream.bus.emit('camera.disconnected', id, { source_type: 'rtsp', reason: `reason-${i}` })
            : stream.bus.emit('camera.connected', id, { source_type: 'rtsp' }),
        );
      }
      // all 25 emitted while Redis is gone, and the outbox already dropped the 15 oldest
      assert.equal(await metric('camera_events_dropped_total'), 15);
      assert.equal(stream.sinks[0]?.queued, 10);

      await server.start(); // empty: no state key survived
      sub = await subscriber(server.url, ['camera-1', 'camera-2']);
      const admin = await clientOf(server.url);
      try {
        await until('the sink waiting to reconnect', () => clock.sleeping > 0);
        clock.release();
        await until('the ten newest', () => sub.received.length === 10);
        assert.deepEqual(ids(sub.received), ids(sent.slice(15)));
        assert.equal(await metric('camera_event_sink_up'), 1);
        for (const id of ['camera-1', 'camera-2', 'camera-3']) assert.deepEqual(await stateOf(admin, id), stream.states.get(id), `state of ${id}`);
        assert.equal(await metric('camera_events_dropped_total'), 15);
      } finally {
        admin.destroy();
      }
    } finally {
      await stream.stop();
      sub.client.destroy();
      await server.close();
    }
  });

  test('Redis takes the connection and stops answering (SIGSTOP): the publish times out, the sink reconnects when it answers again and publishes the event', async () => {
    const server = await startRedisServer();
    const { log, lines } = lineLogger();
    const registry = new Registry();
    const metrics = createSinkMetrics(registry);
    const states = new CameraStates();
    const bus = new EventBus({ log });
    bus.subscribe((e) => states.apply(e));
    const transport = new RedisTransport({
      url: server.url,
      password: '',
      channelPrefix: CHANNEL,
      stateKeyPrefix: STATE_KEY,
      connectTimeoutMs: 300,
      answerTimeoutMs: 300,
    });
    const sink = new QueuedSink({
      name: 'redis',
      transport,
      states,
      metrics,
      clock: systemClock,
      log,
      outboxCapacity: 100,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    bus.subscribe(sink.deliver);
    const sub = await subscriber(server.url, ['camera-1']);
    const pid = server.pid()!;
    const warnings = (msg: string, err: RegExp): number =>
      lines
        .map((l) => JSON.parse(l) as { level: string; msg: string; err?: string })
        .filter((l) => l.level === 'warn' && l.msg === msg && err.test(l.err ?? '')).length;
    try {
      sink.start();
      await until('the sink up', () => sink.up);
      process.kill(pid, 'SIGSTOP');
      const e = bus.emit('camera.connected', 'camera-1', { source_type: 'rtsp' });
      await until(
        'the publish given up',
        () => warnings('event sink lost its broker; will reconnect', /^no answer to PUBLISH camera.connected within 300 ms/) > 0,
      );
      await until('a reconnect given up', () => warnings('event sink cannot connect; will retry', /no answer to connecting within 300 ms/) > 0);
      assert.equal(sink.up, false);
      process.kill(pid, 'SIGCONT');
      await until('the event published', () => sub.received.some((r) => r.id === e.id));
      await until('the sink up again', () => sink.up);
      // at least once: the frozen Redis may still run the MULTI it had taken; a repeat has the same id
      assert.deepEqual([...new Set(ids(sub.received))], [e.id]);
    } finally {
      process.kill(pid, 'SIGCONT');
      await sink.stop();
      sub.client.destroy();
      await server.close();
    }
  });
});

// The Redis sink when Redis goes away (the server killed and started again on its port, empty) or
// stops answering (its process frozen with SIGSTOP: the kernel still takes connections, Redis says
// nothing): the emitter never waits, the sink shows down, a small outbox drops its oldest and
// counts them, and the sink comes back by itself with the newest events in order and every state.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { systemClock } from '../../../src/clock.ts';
import { type CameraState, CameraStates } from '../../../src/events/camera-states.ts';
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

/** The Redis transport, telling how many publishes it began. */
class CountingTransport extends RedisTransport {
  publishes = 0;
  override publish(e: AnyEnvelope, state: CameraState | undefined): Promise<void> {
    this.publishes++;
    return super.publish(e, state);
  }
}

/** A Redis sink made by hand, for limits the configuration does not set. */
function handMadeSink(url: string, limitMs: number) {
  const { log, lines } = lineLogger();
  const states = new CameraStates();
  const bus = new EventBus({ log });
  bus.subscribe((e) => states.apply(e));
  const transport = new CountingTransport({
    url,
    password: '',
    channelPrefix: CHANNEL,
    stateKeyPrefix: STATE_KEY,
    connectTimeoutMs: limitMs,
    answerTimeoutMs: limitMs,
  });
  const metrics = createSinkMetrics(new Registry());
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
  return { bus, sink, lines, transport };
}

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
    const { bus, sink, lines } = handMadeSink(server.url, 300);
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

  test('stopping while Redis does not answer a publish: the sink stops at once, without sitting out the answer limit', async () => {
    const server = await startRedisServer();
    const { bus, sink, lines, transport } = handMadeSink(server.url, 3_600_000);
    const pid = server.pid()!;
    try {
      sink.start();
      await until('the sink up', () => sink.up);
      process.kill(pid, 'SIGSTOP');
      bus.emit('camera.connected', 'camera-1', { source_type: 'rtsp' });
      await until('the publish under way', () => transport.publishes === 1); // its hour-long limit would hold the loop
      let stopped = false;
      const stopping = sink.stop().then(() => {
        stopped = true;
      });
      await until('the sink stopped', () => stopped, { timeoutMs: 30_000 });
      await stopping;
      assert.equal(sink.queued, 1, 'the event not published is reported, not waited for');
      assert.ok(
        lines.some((l) => l.includes('events not published at shutdown')),
        lines.join(''),
      );
    } finally {
      process.kill(pid, 'SIGCONT');
      await sink.stop();
      await server.close();
    }
  });
});

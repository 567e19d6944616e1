import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { Clock } from '../../../src/clock.ts';
import { CameraStates } from '../../../src/events/camera-states.ts';
import { EventBus } from '../../../src/events/event-bus.ts';
import type { AnyEnvelope } from '../../../src/events/event-types.ts';
import { QueuedSink, type SinkTransport } from '../../../src/events/queued-sink.ts';
import { createSinkMetrics } from '../../../src/events/sink-metrics.ts';
import { createLogger } from '../../../src/logger.ts';
import { Redactor } from '../../../src/redact.ts';
import { until } from '../../support/until.ts';

/** A broker that can be taken down and brought back; what it received, in order. */
class ToggleBroker implements SinkTransport {
  up = true;
  connects = 0;
  received: string[] = [];
  statesAtConnect: number[] = [];
  #lost: (() => void) | undefined;
  async connect(states: { camera_id: string }[]): Promise<void> {
    if (!this.up) throw new Error('connection refused');
    this.connects++;
    this.statesAtConnect.push(states.length);
  }
  async publish(e: AnyEnvelope): Promise<void> {
    if (!this.up) throw new Error('socket closed');
    this.received.push(e.type);
  }
  lost(): Promise<unknown> {
    return new Promise<void>((r) => {
      this.#lost = r;
    });
  }
  goDown(): void {
    this.up = false;
    this.#lost?.();
  }
  async close(): Promise<void> {}
}

const fastClock: Clock = {
  now: Date.now,
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, Math.min(ms, 5));
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    }),
};

function setup(capacity = 100) {
  const registry = new Registry();
  const metrics = createSinkMetrics(registry);
  const broker = new ToggleBroker();
  const log = createLogger('silent', new Redactor());
  const bus = new EventBus({ log });
  const states = new CameraStates();
  bus.subscribe((e) => states.apply(e));
  const sink = new QueuedSink({
    name: 'fake',
    transport: broker,
    states,
    metrics,
    clock: fastClock,
    log,
    outboxCapacity: capacity,
    backoff: { initialMs: 10, maxMs: 50 },
  });
  bus.subscribe(sink.deliver);
  const value = async (name: string) => (await registry.getSingleMetric(name)!.get()).values.find((v) => v.labels.sink === 'fake')?.value;
  return { broker, bus, sink, value };
}

test('events are published in the order emitted; the sink reports itself up', async (t) => {
  const { broker, bus, sink, value } = setup();
  t.after(() => sink.stop());
  sink.start();
  bus.emit('camera.connected', 'cam-1', { source_type: 'rtsp' });
  bus.emit('camera.disconnected', 'cam-1', { source_type: 'rtsp', reason: 'stalled' });
  await until('two published', () => broker.received.length === 2, { timeoutMs: 2000 });
  assert.deepEqual(broker.received, ['camera.connected', 'camera.disconnected']);
  assert.equal(await value('camera_event_sink_up'), 1);
  assert.equal(await value('camera_events_published_total'), 2);
  await sink.stop();
  assert.equal(await value('camera_event_sink_up'), 0);
});

test('a broker that goes down: the emitter never sees it, the oldest are dropped and counted, publishing resumes in order with the newest', async (t) => {
  const { broker, bus, sink, value } = setup(3);
  t.after(() => sink.stop());
  sink.start();
  await until('connected', () => broker.connects === 1, { timeoutMs: 2000 });
  broker.goDown();
  await until('sink down', async () => (await value('camera_event_sink_up')) === 0, { timeoutMs: 2000 });
  for (let i = 0; i < 10; i++) bus.emit('camera.connected', `cam-${i}`, { source_type: 'rtsp' });
  assert.equal(await value('camera_events_dropped_total'), 7);
  broker.up = true;
  await until('the three newest published', () => broker.received.length === 3, { timeoutMs: 2000 });
  assert.equal(broker.connects, 2);
  assert.equal(broker.statesAtConnect.at(-1), 10, 'every camera state is handed over on reconnect');
  assert.equal(await value('camera_event_sink_up'), 1);
  await sink.stop();
});

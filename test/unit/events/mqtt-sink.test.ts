// The MQTT sink against a real mosquitto: what a subscriber sees (envelopes in order on their
// topics, retained state, `available`), what happens while the broker cannot be reached, and
// credentials. Every message is checked against the published schemas.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { systemClock } from '../../../src/clock.ts';
import { ConfigError } from '../../../src/errors.ts';
import { CameraStates } from '../../../src/events/camera-states.ts';
import { EventBus } from '../../../src/events/event-bus.ts';
import type { EventStream } from '../../../src/events/event-stream.ts';
import { MqttTransport } from '../../../src/events/mqtt-transport.ts';
import { QueuedSink } from '../../../src/events/queued-sink.ts';
import { createSinkMetrics } from '../../../src/events/sink-metrics.ts';
import { assertCameraState, assertEnvelope } from '../../support/event-schema.ts';
import { lineLogger } from '../../support/line-logger.ts';
import { startMosquitto } from '../../support/mosquitto.ts';
import { mqttStream, type Received, Watcher } from '../../support/mqtt-fixtures.ts';
import { startTcpLink } from '../../support/tcp-link.ts';
import { until } from '../../support/until.ts';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const added = { source_type: 'rtsp', labels: {}, defined_in: 'config' };
const uploaded = (n: number) => ({
  key: `camera-1/2026/12/01/10/00-0${n}.mp4`,
  bytes: 1000 + n,
  start: new Date(T0 + n * 2000).toISOString(),
  end: new Date(T0 + (n + 1) * 2000).toISOString(),
  sha256: 'a'.repeat(64),
});

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

function started(s: EventStream): void {
  s.start();
  cleanups.push(() => s.stop());
}

const envelopes = (r: Received[], prefix: string) => r.filter((m) => m.topic.startsWith(`${prefix}/`) && m.topic.includes('/events/'));

describe('mqtt sink', () => {
  test('an MQTT_URL that is not mqtt://, mqtts://, ws:// or wss://: a configuration error when the configuration is read, naming where it was set, the password masked', () => {
    for (const url of ['http://till:hunter2-mqtt@127.0.0.1:1883', 'broker:1883', 'mqtt//127.0.0.1']) {
      assert.throws(
        () => mqttStream({ MQTT_URL: url }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.equal(err.problems[0]?.key, 'MQTT_URL (environment)', 'named where it was set');
          assert.match(err.message, /e\.g\. mqtt:\/\/broker:1883/);
          assert.ok(!err.message.includes('hunter2'), err.message);
          return true;
        },
        url,
      );
    }
  });

  test('envelopes arrive in order on {prefix}/{camera}/events/{type}; a late subscriber gets each state and available at once; a removed camera’s state is cleared', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    const { stream, prefix, sinkUp, metric } = mqttStream({ MQTT_URL: broker.url });
    const early = await Watcher.connect(broker.url);
    cleanups.push(() => early.close());
    await early.subscribe(`${prefix}/+/events/#`, `${prefix}/marker`);
    started(stream);
    await until('the sink up', sinkUp);

    stream.emit('camera.added', 'camera-1', added, T0);
    stream.emit('camera.connected', 'camera-1', { source_type: 'rtsp' }, T0 + 1);
    stream.emit('camera.added', 'camera-2', added, T0 + 2);
    for (let n = 0; n < 3; n++) stream.emit('segment.uploaded', 'camera-1', uploaded(n), T0 + 10 + n);
    await early.waitFor('six envelopes', (r) => envelopes(r, prefix).length === 6);
    const got = envelopes(early.received, prefix);
    assert.deepEqual(
      got.map((m) => m.topic),
      [
        `${prefix}/camera-1/events/camera.added`,
        `${prefix}/camera-1/events/camera.connected`,
        `${prefix}/camera-2/events/camera.added`,
        ...[0, 1, 2].map(() => `${prefix}/camera-1/events/segment.uploaded`),
      ],
    );
    for (const m of got) {
      assert.equal(m.retain, false);
      assertEnvelope(JSON.parse(m.payload));
    }
    assert.deepEqual(
      got.slice(3).map((m) => (JSON.parse(m.payload) as { data: { key: string } }).data.key),
      [0, 1, 2].map((n) => uploaded(n).key),
    );

    // published = acknowledged with the state that followed it: the broker holds the newest state
    await until('all published', async () => (await metric('camera_events_published_total', { sink: 'mqtt' })) === 6);
    const late = await Watcher.connect(broker.url);
    cleanups.push(() => late.close());
    await late.subscribe(`${prefix}/#`, `${prefix}/marker`);
    assert.deepEqual(
      late.received
        .filter((m) => m.retain)
        .map((m) => m.topic)
        .sort(),
      [`${prefix}/available`, `${prefix}/camera-1/state`, `${prefix}/camera-2/state`],
    );
    assert.deepEqual(
      late.on(`${prefix}/available`).map((m) => [m.payload, m.retain]),
      [['online', true]],
    );
    const one = JSON.parse(late.on(`${prefix}/camera-1/state`)[0]!.payload) as { connected: boolean; last_segment: { key: string } };
    assertCameraState(one);
    assert.equal(one.connected, true);
    assert.equal(one.last_segment.key, uploaded(2).key);
    const two = late.on(`${prefix}/camera-2/state`);
    assert.equal(two.length, 1);
    assertCameraState(JSON.parse(two[0]!.payload));

    stream.emit('camera.removed', 'camera-2', { source_type: 'rtsp', defined_in: 'api' }, T0 + 20);
    await late.waitFor('camera-2’s state cleared', (r) => r.some((m) => m.topic === `${prefix}/camera-2/state` && m.payload === ''));
    const third = await Watcher.connect(broker.url);
    cleanups.push(() => third.close());
    await third.subscribe(`${prefix}/+/state`, `${prefix}/marker`);
    assert.deepEqual(
      third.received.filter((m) => m.retain).map((m) => m.topic),
      [`${prefix}/camera-1/state`],
    );
  });

  test('the sink’s link cut: the broker publishes offline by the last will, emitting never waits, drops are counted; restored, the sink says online, clears a camera removed meanwhile and resumes in order', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    const link = await startTcpLink(broker.port);
    cleanups.push(() => link.close());
    const { stream, prefix, sinkUp, metric } = mqttStream({ MQTT_URL: `mqtt://127.0.0.1:${link.port}`, EVENT_OUTBOX_SIZE: '10' });
    const watcher = await Watcher.connect(broker.url);
    cleanups.push(() => watcher.close());
    await watcher.subscribe(`${prefix}/#`, `${prefix}/marker`);
    started(stream);
    await until('the sink up', sinkUp);
    stream.emit('camera.added', 'camera-1', added, T0);
    stream.emit('camera.added', 'camera-2', added, T0 + 1);
    await until('camera.added published', async () => (await metric('camera_events_published_total', { sink: 'mqtt' })) === 2);

    await link.cut();
    await watcher.waitFor('available = offline (the last will)', (r) => r.at(-1)?.topic === `${prefix}/available` && r.at(-1)?.payload === 'offline');
    await until('the sink down', async () => (await metric('camera_event_sink_up', { sink: 'mqtt' })) === 0);
    stream.emit('camera.removed', 'camera-2', { source_type: 'rtsp', defined_in: 'api' }, T0 + 5); // dropped below
    for (let n = 0; n < 25; n++) stream.emit('segment.uploaded', 'camera-1', uploaded(n), T0 + 10 + n);
    assert.equal(stream.sinks[0]!.queued, 10, 'the outbox holds its capacity, the newest');
    assert.equal(await metric('camera_events_dropped_total', { sink: 'mqtt' }), 16);

    await link.restore();
    await watcher.waitFor('the 10 newest envelopes', (r) => envelopes(r, prefix).length === 12);
    const resumed = envelopes(watcher.received, prefix).slice(2);
    for (const m of resumed) assertEnvelope(JSON.parse(m.payload));
    assert.deepEqual(
      resumed.map((m) => (JSON.parse(m.payload) as { data: { key: string } }).data.key),
      [15, 16, 17, 18, 19, 20, 21, 22, 23, 24].map((n) => uploaded(n).key),
    );
    // camera-2's removal was dropped, yet its state is cleared: the sink clears what it published for cameras gone
    assert.equal(watcher.on(`${prefix}/camera-2/state`).at(-1)?.payload, '');
    const available = watcher.on(`${prefix}/available`).map((m) => m.payload);
    assert.deepEqual(available, ['online', 'offline', 'online']);
    assert.equal(await metric('camera_event_sink_up', { sink: 'mqtt' }), 1);
  });

  test('the broker killed and started again on its port: the sink reconnects, says online, publishes every camera’s state again and resumes', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    // the sink reaches the broker through a link held shut until the test's subscriber is back
    const link = await startTcpLink(broker.port);
    cleanups.push(() => link.close());
    const { stream, prefix, sinkUp, metric } = mqttStream({ MQTT_URL: `mqtt://127.0.0.1:${link.port}` });
    started(stream);
    await until('the sink up', sinkUp);
    stream.emit('camera.added', 'camera-1', added, T0);
    stream.emit('camera.connected', 'camera-1', { source_type: 'rtsp' }, T0 + 1);
    stream.emit('camera.added', 'camera-2', added, T0 + 2);
    await until('all published', async () => (await metric('camera_events_published_total', { sink: 'mqtt' })) === 3);

    await broker.kill();
    await until('the sink down', async () => (await metric('camera_event_sink_up', { sink: 'mqtt' })) === 0);
    await link.cut();
    stream.emit('segment.uploaded', 'camera-1', uploaded(0), T0 + 10);
    await broker.start(); // nothing persisted: the broker forgot every retained message
    const watcher = await Watcher.connect(broker.url);
    cleanups.push(() => watcher.close());
    await watcher.subscribe(`${prefix}/#`, `${prefix}/marker`);
    assert.equal(watcher.on(`${prefix}/camera-1/state`).length, 0, 'the restarted broker holds no state');
    await link.restore();
    await watcher.waitFor('the queued envelope', (r) => envelopes(r, prefix).length === 1);
    assert.equal(JSON.parse(envelopes(watcher.received, prefix)[0]!.payload).type, 'segment.uploaded');
    assert.deepEqual(
      watcher.on(`${prefix}/available`).map((m) => m.payload),
      ['online'],
    );
    const states = watcher.on(`${prefix}/camera-1/state`);
    for (const s of states) assertCameraState(JSON.parse(s.payload));
    assert.equal(JSON.parse(states.at(-1)!.payload).last_segment.key, uploaded(0).key);
    // camera-2 had no event while the broker was away: its state is there because the sink
    // publishes every camera's state on each connection
    const two = watcher.on(`${prefix}/camera-2/state`);
    assert.equal(two.length, 1);
    assertCameraState(JSON.parse(two[0]!.payload));
    assert.equal(JSON.parse(two[0]!.payload).camera_id, 'camera-2');
  });

  test('with a password file: credentials from the URL work (percent-encoded, or a bare %); wrong ones are retried with backoff; no password in any log line', async () => {
    const user = { name: 'recorder', password: 'S3cret:mqtt@pw/%' }; // percent-encoded in the URL
    const broker = await startMosquitto({ user });
    cleanups.push(() => broker.close());
    const good = mqttStream({ MQTT_URL: broker.userUrl() });
    // a "%" not followed by two hex digits is not URL encoding: taken as written
    const wrong = mqttStream({ MQTT_URL: `mqtt://${user.name}:Wrong-100%@127.0.0.1:${broker.port}` });
    const watcher = await Watcher.connect(broker.url, { username: user.name, password: user.password });
    cleanups.push(() => watcher.close());
    await watcher.subscribe(`${good.prefix}/+/events/#`, `${good.prefix}/marker`);
    started(good.stream);
    started(wrong.stream);
    await until('the good sink up', good.sinkUp);
    good.stream.emit('camera.connected', 'camera-1', { source_type: 'rtsp' }, T0);
    await watcher.waitFor('the envelope', (r) => envelopes(r, good.prefix).length === 1);

    const refusals = () =>
      wrong.lines
        .map((l) => JSON.parse(l) as { msg: string; err?: string; retryInMs?: number })
        .filter((l) => l.msg === 'event sink cannot connect; will retry');
    await until('three refusals', () => refusals().length >= 3);
    assert.equal(await wrong.metric('camera_event_sink_up', { sink: 'mqtt' }), 0);
    for (const l of refusals()) assert.match(l.err ?? '', /not authorized/i);
    const delays = refusals().map((l) => l.retryInMs ?? 0);
    // doubling from reconnect_initial (100 ms) up to reconnect_max (1 s), each with up to half of it as jitter
    delays.forEach((d, k) => {
      const ceiling = Math.min(1000, 100 * 2 ** k);
      assert.ok(d >= ceiling / 2 && d <= ceiling, `retry ${k} after ${d} ms; backoff ceiling ${ceiling} ms (all: ${delays.join(', ')})`);
    });
    await good.stream.stop();
    await wrong.stream.stop();
    for (const line of [...good.lines, ...wrong.lines]) {
      assert.ok(!line.includes(user.password) && !line.includes('Wrong-100'), `a password in a log line: ${line}`);
    }
  });

  test('a broker that stops answering: the unacknowledged publish times out, the sink reconnects, and publishes the envelope once the broker answers again', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    const registry = new Registry();
    const metrics = createSinkMetrics(registry);
    const { log, lines } = lineLogger('debug');
    const mqtt = { url: broker.url, topicPrefix: 'hung', username: '', password: '', qos: 1, clientId: 'hung-test', triggers: false };
    const sink = new QueuedSink({
      name: 'mqtt',
      transport: new MqttTransport({ mqtt, log, publishTimeoutMs: 300 }),
      states: new CameraStates(),
      metrics,
      clock: systemClock,
      log,
      outboxCapacity: 100,
      backoff: { initialMs: 100, maxMs: 1000 },
    });
    const bus = new EventBus({ log });
    bus.subscribe(sink.deliver);
    sink.start();
    cleanups.push(() => sink.stop());
    await until('the sink up', () => sink.up);

    broker.pause();
    bus.emit('camera.connected', 'camera-1', { source_type: 'rtsp' });
    const lost = await until('the sink gives up on the broker', () =>
      lines.map((l) => JSON.parse(l) as { msg: string; err?: string }).find((l) => l.msg === 'event sink lost its broker; will reconnect'),
    );
    assert.match(lost.err ?? '', /did not acknowledge within 300 ms/);
    assert.equal(sink.up, false);
    assert.equal(sink.queued, 1, 'the envelope waits for the next connection');

    broker.resume();
    await until('the envelope published', () => sink.up && sink.queued === 0);
  });
});

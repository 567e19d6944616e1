// The till's triggers over MQTT against a real mosquitto: a message on {prefix}/{camera}/trigger or
// {prefix}/trigger reaches the event intake with the body of POST /api/events, and is stored as a
// pending event; a bad message is counted and logged with why, and nothing else happens.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { EventStore } from '../../../src/clips/event-store.ts';
import { systemClock } from '../../../src/clock.ts';
import type { AcceptTrigger } from '../../../src/events/mqtt-triggers.ts';
import { EventIntake } from '../../../src/clips/event-intake.ts';
import { emitNothing } from '../../../src/events/event-bus.ts';
import { lineLogger } from '../../support/line-logger.ts';
import { type Mosquitto, startMosquitto } from '../../support/mosquitto.ts';
import { mqttStream, Watcher } from '../../support/mqtt-fixtures.ts';
import { until } from '../../support/until.ts';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** The stream with triggers on, whose intake stores events for camera-1 and camera-2 in a temp dir. */
async function setup(broker: Mosquitto) {
  const seen: unknown[] = [];
  const events = new EventStore(join(mkdtempSync(join(tmpdir(), 'mqtt-triggers-')), 'events'));
  await events.load(Date.now());
  let wakes = 0;
  let intake: AcceptTrigger | undefined;
  const s = mqttStream({ MQTT_URL: broker.url }, (body) => {
    seen.push(body);
    return intake!(body);
  });
  const eventIntake = new EventIntake({
    config: s.config,
    clock: systemClock,
    events,
    worker: { wake: () => void wakes++ },
    currentCameras: () => ['camera-1', 'camera-2'],
    log: lineLogger().log,
    emit: emitNothing,
  });
  intake = async (body) => {
    const { record, duplicate } = await eventIntake.accept(body);
    return { id: record.id, duplicate };
  };
  s.stream.start();
  cleanups.push(() => s.stream.stop());
  await until('the sink up', s.sinkUp);
  const till = await Watcher.connect(broker.url);
  cleanups.push(() => till.close());
  const count = async (result: string) => (await s.metric('camera_event_triggers_total', { result })) ?? 0;
  return { ...s, seen, events, till, count, wakes: () => wakes };
}

describe('mqtt triggers', () => {
  test('a trigger on {prefix}/camera-1/trigger reaches the intake with the camera from the topic and is stored; one on {prefix}/trigger names it in the body', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    const { prefix, seen, events, till, count, wakes, config } = await setup(broker);

    await till.client.publishAsync(`${prefix}/camera-1/trigger`, JSON.stringify({ metadata: { receipt: '4711', total: 12.5 }, pre_seconds: 3 }), { qos: 1 });
    await until('accepted', async () => (await count('accepted')) === 1);
    assert.deepEqual(seen, [{ metadata: { receipt: '4711', total: 12.5 }, pre_seconds: 3, camera: 'camera-1' }]);
    await till.client.publishAsync(`${prefix}/trigger`, JSON.stringify({ camera: 'camera-2', metadata: { receipt: '4712' } }), { qos: 1 });
    await until('both accepted', async () => (await count('accepted')) === 2);

    const stored = events.pending().map((e) => [e.camera, e.metadata, e.pre_seconds]);
    assert.deepEqual(stored.sort(), [
      ['camera-1', { receipt: '4711', total: 12.5 }, 3],
      ['camera-2', { receipt: '4712' }, config.events.preSeconds],
    ]);
    assert.equal(wakes(), 2);
    assert.equal(await count('invalid'), 0);
  });

  test('invalid triggers (not JSON, an unknown camera, a body for another camera, too large) are counted and logged with the reason and topic, never the payload; the next good one is accepted', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    const { prefix, lines, till, count, events, sinkUp } = await setup(broker);
    const publish = (topic: string, payload: string) => till.client.publishAsync(`${prefix}/${topic}`, payload, { qos: 1 });

    await publish('camera-1/trigger', 'receipt 4711 PRIVATE-DATA not json {');
    await publish('no-such-camera/trigger', JSON.stringify({ metadata: { note: 'PRIVATE-DATA' } }));
    await publish('camera-1/trigger', JSON.stringify({ camera: 'camera-2', metadata: { note: 'PRIVATE-DATA' } }));
    await publish('trigger', JSON.stringify({ metadata: { note: 'PRIVATE-DATA' } }));
    await publish('camera-1/trigger', JSON.stringify({ metadata: { note: `PRIVATE-DATA ${'x'.repeat(40_000)}` } }));
    await until('five refused', async () => (await count('invalid')) === 5);
    await publish('camera-1/trigger', JSON.stringify({ metadata: { receipt: '4713' } }));
    await until('the good one accepted', async () => (await count('accepted')) === 1);

    assert.equal(events.pending().length, 1);
    assert.equal(await sinkUp(), true);
    const refused = lines
      .map((l) => JSON.parse(l) as { level: string; msg: string; topic: string; reason: string })
      .filter((l) => l.msg === 'mqtt trigger refused');
    // each handled on its own: the log lines may come in another order than the messages
    const expected: [string, RegExp][] = [
      ['camera-1/trigger', /not JSON/],
      ['no-such-camera/trigger', /unknown camera "no-such-camera"/],
      ['camera-1/trigger', /camera "camera-2" differs from the topic's "camera-1"/],
      ['trigger', /camera is missing/],
      ['camera-1/trigger', /the payload is \d+ bytes; the limit is \d+/],
    ];
    assert.equal(refused.length, expected.length);
    for (const [topic, reason] of expected) {
      assert.ok(
        refused.some((l) => l.level === 'warn' && l.topic === `${prefix}/${topic}` && reason.test(l.reason)),
        `no warning for ${topic} matching ${reason}: ${JSON.stringify(refused.map((l) => [l.topic, l.reason]))}`,
      );
    }
    for (const line of lines) assert.ok(!line.includes('PRIVATE-DATA'), `a payload in a log line: ${line.slice(0, 300)}`);
  });

  test('the trigger subscription is made again on every connection: after the broker restarts, a trigger is accepted', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    const { prefix, count, metric, sinkUp } = await setup(broker);
    await broker.stop();
    await until('the sink down', async () => (await metric('camera_event_sink_up', { sink: 'mqtt' })) === 0);
    await broker.start(); // a fresh broker: it knows no subscription
    await until('the sink up again', sinkUp);
    const till = await Watcher.connect(broker.url);
    cleanups.push(() => till.close());
    await till.client.publishAsync(`${prefix}/camera-1/trigger`, '{}', { qos: 1 });
    await until('accepted', async () => (await count('accepted')) === 1);
  });

  test('a trigger the intake cannot store (a full disk) is counted failed and logged at warn, apart from the invalid ones', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.close());
    const s = mqttStream({ MQTT_URL: broker.url }, async () => {
      throw new Error('cannot write the event: ENOSPC');
    });
    s.stream.start();
    cleanups.push(() => s.stream.stop());
    await until('the sink up', s.sinkUp);
    const till = await Watcher.connect(broker.url);
    cleanups.push(() => till.close());
    await till.client.publishAsync(`${s.prefix}/camera-1/trigger`, '{"metadata":{}}', { qos: 1 });
    await until('failed', async () => (await s.metric('camera_event_triggers_total', { result: 'failed' })) === 1);
    assert.equal(await s.metric('camera_event_triggers_total', { result: 'invalid' }), 0);
    const line = s.lines.map((l) => JSON.parse(l) as { level: string; msg: string; reason?: string }).find((l) => l.msg === 'mqtt trigger not stored');
    assert.equal(line?.level, 'warn');
    assert.match(line?.reason ?? '', /ENOSPC/);
  });
});

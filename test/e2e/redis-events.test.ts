// The Redis sink end to end: the real CLI with REDIS_URL, a real RTSP camera, a real redis-server
// and the filesystem store. The sink shows up in /metrics and the camera's state key follows its
// events; a Redis that is killed changes neither /ready nor the recording, and the sink comes back
// by itself when Redis does, writing the state again. (The order of the camera's events on the
// channel, beside MQTT's, is event-sinks.test.ts.)
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CameraState } from '../../src/events/camera-states.ts';
import type { AnyEnvelope } from '../../src/events/event-types.ts';
import { createClient } from 'redis';
import { assertCameraState } from '../support/event-schema.ts';
import { freePort } from '../support/ports.ts';
import { RecorderProcess, type LogLine } from '../support/recorder-process.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { clientOf, stateOf, subscriber } from '../support/redis-sink-fixtures.ts';
import { startRtspServer, type RtspServer } from '../support/rtsp-server.ts';
import { makeTlsCerts } from '../support/tls-certs.ts';
import { until } from '../support/until.ts';

let camera: RtspServer;
let redis: RedisServer;
let recorder: RecorderProcess;
let sub: Awaited<ReturnType<typeof subscriber>>;

const uploaded = (l: LogLine): boolean => l.msg === 'segment uploaded';
const sinkUp = (): Promise<number> => recorder.metric('camera_event_sink_up', { sink: 'redis' });

before(async () => {
  [camera, redis] = await Promise.all([startRtspServer({ mounts: { '/cam': 'aac' } }), startRedisServer()]);
  sub = await subscriber(redis.url, ['camera-1']); // before the recorder: it sees the camera's first events
  const root = mkdtempSync(join(tmpdir(), 'redis-events-'));
  recorder = new RecorderProcess(
    {
      STORAGE: 'filesystem',
      FILESYSTEM_ROOT: join(root, 'store'),
      TEMP_DIR: join(root, 'tmp'),
      SEGMENT_DURATION: '4s',
      RTSP_TIMEOUT: '5s',
      RESTART_INITIAL: '500ms',
      RESTART_MAX: '1s',
      CAMERA1_RTSP_URL: camera.url('/cam'),
      REDIS_URL: redis.url,
      EVENT_RECONNECT_INITIAL: '200ms',
      EVENT_RECONNECT_MAX: '1s',
    },
    await freePort(),
  );
});

after(async () => {
  await recorder?.stop('SIGKILL');
  sub?.client.destroy();
  await Promise.all([camera?.stop(), redis?.close()]);
});

describe('redis sink end to end', () => {
  test('REDIS_URL set: the sink is up in /metrics and the state key follows the events; Redis killed: /ready stays 200, segments keep being uploaded, the sink is down; Redis back: the sink is up again by itself, the state written again, publishing resumes', async () => {
    await recorder.until(async () => (await sinkUp()) === 1, 60_000, 'camera_event_sink_up{sink="redis"} 1');
    const uploadedKeys = (received: AnyEnvelope[]): string[] => received.flatMap((e) => (e.type === 'segment.uploaded' ? [e.data.key] : []));
    await until('a segment.uploaded on camera:camera-1', () => uploadedKeys(sub.received).length > 0);
    const admin = await clientOf(redis.url);
    const first = (await stateOf(admin, 'camera-1')) as CameraState;
    admin.destroy();
    assert.equal(first.connected, true);
    assert.ok(first.last_segment !== null);
    await until('the newest upload on the channel', () => uploadedKeys(sub.received).includes(first.last_segment!.key));

    process.kill(redis.pid()!, 'SIGKILL');
    await redis.stop(); // waits for the exit
    await recorder.until(async () => (await sinkUp()) === 0, 30_000, 'camera_event_sink_up{sink="redis"} 0');
    const uploadsBefore = recorder.logs.filter(uploaded).length;
    await recorder.waitForCount(uploaded, uploadsBefore + 2, 60_000, 'uploads while Redis is down');
    assert.equal((await recorder.get('/ready')).status, 200, '/ready does not depend on a sink');
    assert.equal(await recorder.metric('camera_stream_connected', { camera_id: 'camera-1' }), 1);
    assert.ok(
      recorder.logs.some((l) => l.level === 'warn' && l.msg === 'event sink lost its broker; will reconnect'),
      'the lost broker is a warning',
    );
    assert.ok(!recorder.logs.some((l) => l.level === 'error' || l.level === 'fatal'), recorder.raw.slice(-20).join('\n'));

    await redis.start(); // empty: the state is back only because the sink wrote it
    const again = await subscriber(redis.url, ['camera-1']);
    const admin2 = await clientOf(redis.url);
    try {
      await recorder.until(async () => (await sinkUp()) === 1, 30_000, 'camera_event_sink_up{sink="redis"} 1 again');
      const later = (await stateOf(admin2, 'camera-1')) as CameraState;
      assert.equal(later.connected, true);
      assert.notEqual(later.last_segment?.key, first.last_segment.key, 'the state knows the uploads made while Redis was down');
      await until('a segment.uploaded after Redis came back', () => uploadedKeys(again.received).length > 0);
      assert.equal((await recorder.get('/ready')).status, 200);
      assert.equal(await recorder.metric('camera_events_dropped_total', { sink: 'redis' }), 0, 'the outbox held the outage');
    } finally {
      again.client.destroy();
      admin2.destroy();
    }
    assert.deepEqual(await recorder.stop(), { code: 0, signal: null });
  });

  test('rediss:// with REDIS_PASSWORD: the sink connects over TLS to a Redis that needs a password, which appears in no log line', async () => {
    const PASSWORD = 'tls-redis-passw0rd-e2e';
    const certs = makeTlsCerts();
    const tlsRedis = await startRedisServer({ tls: certs, password: PASSWORD });
    const root = mkdtempSync(join(tmpdir(), 'redis-tls-'));
    const tlsRecorder = new RecorderProcess(
      {
        STORAGE: 'filesystem',
        FILESYSTEM_ROOT: join(root, 'store'),
        TEMP_DIR: join(root, 'tmp'),
        CAMERA1_RTSP_URL: camera.url('/cam'),
        REDIS_URL: tlsRedis.url,
        REDIS_PASSWORD: PASSWORD,
        NODE_EXTRA_CA_CERTS: certs.caFile, // the site's private CA, as an operator would trust it
      },
      await freePort(),
    );
    try {
      assert.match(tlsRedis.url, /^rediss:/);
      await tlsRecorder.until(async () => (await tlsRecorder.metric('camera_event_sink_up', { sink: 'redis' })) === 1, 60_000, 'the sink up over TLS');
      const reader = createClient({ url: tlsRedis.url, password: PASSWORD, socket: { tls: true, ca: readFileSync(certs.caFile), reconnectStrategy: false } });
      reader.on('error', () => {});
      await reader.connect();
      try {
        const state = await until('camera-1 connected, read over TLS', async () => {
          const text = await reader.get('camera-recorder:state:camera-1');
          const s = text === null ? undefined : (JSON.parse(text) as CameraState);
          return s?.connected === true && s;
        });
        assertCameraState(state);
      } finally {
        reader.destroy();
      }
      assert.deepEqual(await tlsRecorder.stop(), { code: 0, signal: null });
      assert.ok(!tlsRecorder.raw.some((l) => l.includes(PASSWORD)), 'the password is in no log line');
    } finally {
      await tlsRecorder.stop('SIGKILL');
      await tlsRedis.close();
    }
  });
});

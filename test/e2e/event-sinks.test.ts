// The event stream as the rest of a site sees it: the real CLI with a real RTSP camera, a Redis
// subscriber and an MQTT subscriber. Both see, in order, camera.connected, segment.uploaded, then
// (the camera server killed) camera.disconnected and camera.connected again; every envelope valid
// against the published schema, and each within 1 s of the recorder's log line of the same moment.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { connectAsync } from 'mqtt';
import { createClient } from 'redis';
import { assertEnvelope } from '../support/event-schema.ts';
import { startMosquitto } from '../support/mosquitto.ts';
import { freePort } from '../support/ports.ts';
import { type LogLine, RecorderProcess } from '../support/recorder-process.ts';
import { startRedisServer } from '../support/redis-server.ts';
import { startRtspServer } from '../support/rtsp-server.ts';

interface Seen {
  type: string;
  time: string;
  receivedMs: number;
  data: Record<string, unknown>;
}

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

test('Redis and MQTT subscribers see connected, segment.uploaded, disconnected, connected in order, schema-valid, each within 1 s of its log line', async () => {
  const [camera, redis, broker] = await Promise.all([startRtspServer({ mounts: { '/cam': 'none' }, size: '320x180' }), startRedisServer(), startMosquitto()]);
  cleanups.push(
    () => camera.stop(),
    () => redis.close(),
    () => broker.close(),
  );

  const seen: Record<'redis' | 'mqtt', Seen[]> = { redis: [], mqtt: [] };
  const take = (sink: 'redis' | 'mqtt', payload: string): void => {
    const e = JSON.parse(payload) as Seen & { camera_id: string };
    assertEnvelope(e);
    if (e.camera_id === 'camera-1') seen[sink].push({ ...e, receivedMs: Date.now() });
  };
  const sub = createClient({ url: redis.url });
  await sub.connect();
  cleanups.push(() => sub.quit());
  await sub.pSubscribe('camera:*', (m) => take('redis', m));
  const mqtt = await connectAsync(broker.url, { reconnectPeriod: 0 });
  cleanups.push(() => mqtt.endAsync(true));
  mqtt.on('message', (_topic, p) => take('mqtt', p.toString()));
  await mqtt.subscribeAsync('camera-recorder/+/events/#', { qos: 1 });

  const root = mkdtempSync(join(tmpdir(), 'event-sinks-'));
  const recorder = new RecorderProcess(
    {
      STORAGE: 'filesystem',
      FILESYSTEM_ROOT: join(root, 'store'),
      TEMP_DIR: join(root, 'tmp'),
      SEGMENT_DURATION: '2s',
      RTSP_TIMEOUT: '3s',
      RESTART_INITIAL: '500ms',
      RESTART_MAX: '1s',
      CAMERA1_RTSP_URL: camera.url('/cam'),
      REDIS_URL: redis.url,
      MQTT_URL: broker.url,
    },
    await freePort(),
  );
  cleanups.push(() => recorder.stop('SIGKILL'));
  const logged = (msg: string, nth = 0) => recorder.logs.filter((l: LogLine) => l.camera === 'camera-1' && l.msg === msg)[nth];
  await recorder.waitForLog((l) => l.msg === 'segment uploaded', 60_000, 'a segment uploaded');
  await camera.kill();
  await recorder.waitForLog((l) => l.msg === 'stream disconnected', 60_000, 'stream disconnected');
  await camera.start();
  await recorder.until(async () => recorder.logs.filter((l) => l.msg === 'stream connected').length >= 2, 60_000, 'stream connected again');
  const moments = [
    ['camera.connected', logged('stream connected', 0)],
    ['segment.uploaded', logged('segment uploaded', 0)],
    ['camera.disconnected', logged('stream disconnected', 0)],
    ['camera.connected', logged('stream connected', 1)],
  ] as const;
  for (const sink of ['redis', 'mqtt'] as const) {
    await recorder.until(async () => seen[sink].filter((e) => e.type === 'camera.connected').length >= 2, 10_000, `${sink}: connected again`);
    const life = seen[sink].filter((e) => e.type === 'camera.connected' || e.type === 'camera.disconnected' || e.type === 'segment.uploaded');
    // the first of each kind, in the order the moments came
    let from = 0;
    for (const [type, line] of moments) {
      const i = life.findIndex((e, k) => k >= from && e.type === type);
      assert.ok(i >= 0, `${sink}: ${type} after ${life[from - 1]?.type ?? 'the start'}; got ${life.map((e) => e.type).join(', ')}`);
      const late = life[i]!.receivedMs - Date.parse(String(line?.time));
      assert.ok(late <= 1000, `${sink}: ${type} arrived ${late} ms after its log line`);
      from = i + 1;
    }
    const down = life.find((e) => e.type === 'camera.disconnected')!;
    assert.ok(['stream_ended', 'stalled', 'camera_unreachable'].includes(String(down.data.reason)), `reason ${String(down.data.reason)}`);
  }
  assert.deepEqual(await recorder.stop(), { code: 0, signal: null });
});

// The CLI with MQTT_URL set, against a real mosquitto: a till's trigger over MQTT becomes an event
// the API shows and a clip in the store; the sink reports itself up, says online while it runs, and
// offline when the recorder stops.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assertCameraState, assertEnvelope } from '../support/event-schema.ts';
import { probeFile } from '../support/media.ts';
import { startMosquitto } from '../support/mosquitto.ts';
import { Watcher } from '../support/mqtt-fixtures.ts';
import { freePort } from '../support/ports.ts';
import { RecorderProcess } from '../support/recorder-process.ts';

const TOKEN = 'api-token-Mqtt-7e2a';
const PREFIX = 'shop-12';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** The CLI with one synthetic camera (camera-1, 2 s segments) and the filesystem store in a temp dir. */
async function startRecorder(env: Record<string, string>): Promise<{ dir: string; recorder: RecorderProcess }> {
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-e2e-'));
  const config = join(dir, 'config.toml');
  writeFileSync(
    config,
    [
      'storage = "filesystem"',
      'segment_duration = "2s"',
      `temp_dir = ${JSON.stringify(join(dir, 'spool'))}`,
      `[filesystem]\nroot = ${JSON.stringify(join(dir, 'bucket'))}`,
      '[[cameras]]\nid = "camera-1"\nurl = "synthetic:?size=160x120&fps=5&audio=none"',
    ].join('\n'),
  );
  const recorder = new RecorderProcess(env, await freePort(), ['--config', config]);
  cleanups.push(() => recorder.stop('SIGKILL'));
  return { dir, recorder };
}

test('with MQTT_URL: a trigger on {prefix}/camera-1/trigger, delivered twice, becomes one event clip with its PNG frames and metadata; the events and state of the camera arrive schema-valid; the sink says online, then offline at stop', async () => {
  const broker = await startMosquitto();
  cleanups.push(() => broker.close());
  const watcher = await Watcher.connect(broker.url);
  cleanups.push(() => watcher.close());
  await watcher.subscribe(`${PREFIX}/#`, `${PREFIX}/marker`);

  const { dir, recorder } = await startRecorder({ MQTT_URL: broker.url, MQTT_TOPIC_PREFIX: PREFIX, API_TOKEN: TOKEN, EVENT_POLL_INTERVAL: '500ms' });
  await recorder.until(async () => (await recorder.metric('camera_event_sink_up', { sink: 'mqtt' })) === 1, 60_000, 'the mqtt sink up');
  await recorder.waitForLog((l) => l.camera === 'camera-1' && l.msg === 'segment uploaded', 60_000, 'a segment uploaded');

  // the till's message, and its re-delivery (QoS 1 delivers at least once): one event, one clip
  const trigger = JSON.stringify({ event_id: 'till-7-r-4711', metadata: { receipt: 'R-4711' }, pre_seconds: 1, post_seconds: 1, frames: 2 });
  await watcher.client.publishAsync(`${PREFIX}/camera-1/trigger`, trigger, { qos: 1 });
  await watcher.client.publishAsync(`${PREFIX}/camera-1/trigger`, trigger, { qos: 1 });
  const accepted = await recorder.waitForLog((l) => l.msg === 'event accepted', 30_000, 'event accepted');
  const id = accepted.event as string;
  assert.equal(id, 'till-7-r-4711');
  await recorder.until(async () => (await recorder.metric('camera_event_triggers_total', { result: 'duplicate' })) === 1, 30_000, 'the repeat seen');
  const get = () => fetch(`http://127.0.0.1:${recorder.port}/api/events/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const first = await get();
  assert.equal(first.status, 200);
  const rec = (await first.json()) as { camera: string; metadata: unknown; pre_seconds: number };
  assert.equal(rec.camera, 'camera-1');
  assert.deepEqual(rec.metadata, { receipt: 'R-4711' });
  assert.equal(rec.pre_seconds, 1);
  let done: { status: string; clip?: { key: string } } = { status: 'pending' };
  await recorder.until(
    async () => {
      done = (await (await get()).json()) as typeof done;
      return done.status !== 'pending';
    },
    90_000,
    'the event clip',
  );
  assert.equal(done.status, 'done', JSON.stringify(done));
  assert.ok(existsSync(join(dir, 'bucket', done.clip!.key)), `the clip ${done.clip!.key} in the store`);
  assert.equal(recorder.logs.filter((l) => l.msg === 'event accepted').length, 1, 'one event for two deliveries');
  assert.equal(await recorder.metric('camera_event_triggers_total', { result: 'accepted' }), 1);
  // one record: the clip, the frames and the till's metadata
  const json = JSON.parse(readFileSync(join(dir, 'bucket', done.clip!.key.replace(/\.mp4$/, '.json')), 'utf8')) as {
    metadata: unknown;
    frames: { key: string }[];
  };
  assert.deepEqual(json.metadata, { receipt: 'R-4711' });
  assert.equal(json.frames.length, 2);
  for (const f of json.frames) assert.deepEqual(probeFile(join(dir, 'bucket', f.key)).codecs, ['png'], `${f.key} decodes as PNG`);
  // what the camera told, on MQTT, each envelope and state valid against the published schemas
  await watcher.waitFor('event.done on MQTT', (r) => r.some((m) => m.topic === `${PREFIX}/camera-1/events/event.done`));
  const envelopes = watcher.received.filter((m) => m.topic.startsWith(`${PREFIX}/camera-1/events/`)).map((m) => JSON.parse(m.payload) as { type: string });
  for (const e of envelopes) assertEnvelope(e);
  const types = envelopes.map((e) => e.type);
  assert.ok(types.indexOf('camera.connected') < types.indexOf('segment.uploaded'), types.join(' '));
  assert.equal(types.filter((t) => t === 'event.accepted').length, 1, 'the repeat told nothing');
  const state = watcher.on(`${PREFIX}/camera-1/state`).at(-1);
  assertCameraState(JSON.parse(state!.payload));
  assert.equal(await recorder.metric('camera_event_sink_up', { sink: 'mqtt' }), 1);
  assert.deepEqual(
    watcher.on(`${PREFIX}/available`).map((m) => m.payload),
    ['online'],
  );

  assert.equal((await recorder.stop()).code, 0);
  await watcher.waitFor('available = offline', () => watcher.on(`${PREFIX}/available`).length === 2);
  assert.deepEqual(
    watcher.on(`${PREFIX}/available`).map((m) => m.payload),
    ['online', 'offline'],
    'an orderly stop says offline',
  );
});

test('the broker down: recording, uploads and /ready go on, the sink shows down; the broker back on its port, the sink is up and says online', async () => {
  const broker = await startMosquitto();
  cleanups.push(() => broker.close());
  const { recorder } = await startRecorder({ MQTT_URL: broker.url, MQTT_TOPIC_PREFIX: PREFIX, EVENT_RECONNECT_MAX: '1s' });
  const sinkUp = async () => recorder.metric('camera_event_sink_up', { sink: 'mqtt' });
  await recorder.until(async () => (await sinkUp()) === 1, 60_000, 'the mqtt sink up');
  await recorder.until(async () => (await recorder.get('/ready')).status === 200, 60_000, 'ready');

  await broker.kill();
  await recorder.until(async () => (await sinkUp()) === 0, 60_000, 'the mqtt sink down');
  const uploaded = (l: { msg: string; camera?: string }) => l.camera === 'camera-1' && l.msg === 'segment uploaded';
  const before = recorder.logs.filter(uploaded).length;
  await recorder.waitForCount(uploaded, before + 3, 60_000, 'segments uploaded while the broker is down');
  assert.equal((await recorder.get('/ready')).status, 200);
  assert.equal(await sinkUp(), 0);

  await broker.start();
  const watcher = await Watcher.connect(broker.url);
  cleanups.push(() => watcher.close());
  await watcher.subscribe(`${PREFIX}/#`, `${PREFIX}/marker`);
  await watcher.waitFor('available = online', () => watcher.on(`${PREFIX}/available`).some((m) => m.payload === 'online'));
  await recorder.until(async () => (await sinkUp()) === 1, 60_000, 'the mqtt sink up again');
  assert.equal((await recorder.stop()).code, 0);
});

test('mqtts:// with a user and password: the sink connects over TLS (a CA the process trusts by NODE_EXTRA_CA_CERTS), and the password is in no log line', async () => {
  const user = { name: 'recorder', password: 'Tls-Mqtt-pw-8c1f' };
  const broker = await startMosquitto({ tls: true, user });
  cleanups.push(() => broker.close());
  const watcher = await Watcher.connect(broker.url, { username: user.name, password: user.password, ca: readFileSync(broker.certFile) });
  cleanups.push(() => watcher.close());
  await watcher.subscribe(`${PREFIX}/#`, `${PREFIX}/marker`);
  const { recorder } = await startRecorder({
    MQTT_URL: broker.url,
    MQTT_TOPIC_PREFIX: PREFIX,
    MQTT_USERNAME: user.name,
    MQTT_PASSWORD: user.password,
    NODE_EXTRA_CA_CERTS: broker.certFile,
  });
  await recorder.until(async () => (await recorder.metric('camera_event_sink_up', { sink: 'mqtt' })) === 1, 60_000, 'the mqtt sink up');
  await watcher.waitFor('available = online', () => watcher.on(`${PREFIX}/available`).some((m) => m.payload === 'online'));
  assert.equal((await recorder.stop()).code, 0);
  for (const line of recorder.raw) assert.ok(!line.includes(user.password), `the password in a log line: ${line}`);
});

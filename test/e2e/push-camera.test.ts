// An http_push camera end to end: the real CLI on a real Ceph RGW, pictures POSTed as an integrator
// would (multipart, the camera's own token). 30 s of pictures at 2 per second become segments in the
// bucket that ffprobe reads as H.264 of that length; the camera turns disconnected when the pushes
// stop and its last segment is finished and uploaded; bad requests get 401, 404 and 415; a push
// camera added over the API takes its own token, which never appears in an answer or a log line;
// SIGTERM finishes and uploads a push camera's open segment.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { ApiClient } from '../support/api-client.ts';
import { fetchSegment, listKeys } from '../support/bucket.ts';
import { jpegPictures } from '../support/jpeg-pictures.ts';
import type { LogLine, RecorderProcess } from '../support/recorder-process.ts';
import { startS3Recorder } from '../support/s3-recorder.ts';
import { s3Client, startS3Server, type S3Server } from '../support/s3-server.ts';

const API_TOKEN = 'push-e2e-api-token-2d7e';
const DOOR_TOKEN = 'door-e2e-push-token-8c1f4a';
const LOBBY_TOKEN = 'lobby-e2e-push-token-5b9e3d';
const SECRETS_KEY = 'c4'.repeat(32);
const PUSH_SECONDS = 30;
const FPS = 2;

let s3: S3Server;
let client: S3Client;
let recorder: RecorderProcess;
let bucket: string;
let api: ApiClient;
const pictures = jpegPictures(PUSH_SECONDS * FPS, '640x360');

before(async () => {
  s3 = await startS3Server();
  client = s3Client(s3);
  const config = join(mkdtempSync(join(tmpdir(), 'push-config-')), 'config.toml');
  writeFileSync(config, `[[cameras]]\nid = "door"\nsource_type = "http_push"\npush_token = "${DOOR_TOKEN}"\n`);
  ({ recorder, bucket } = await startS3Recorder(s3, {
    API_TOKEN,
    CAMERA_SECRETS_KEY: SECRETS_KEY,
    CONFIG_PATH: config,
    SEGMENT_DURATION: '60s', // 30 s of pictures: one segment, or two when a minute starts within them
    PUSH_IDLE_DISCONNECT: '2s',
    PUSH_IDLE_FINALIZE: '4s',
  }));
  await recorder.until(async () => (await recorder.get('/ready')).status === 200, 60_000, 'ready');
  api = new ApiClient(recorder.port, API_TOKEN);
});
after(async () => {
  await recorder?.stop('SIGKILL');
  client?.destroy();
  await s3?.stop();
});

async function push(camera: string, jpeg: Buffer | string, token: string, fields: Record<string, string> = {}) {
  const form = new FormData();
  form.append('frame_file', new Blob([jpeg], { type: 'image/jpeg' }), 'picture.jpg');
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const res = await fetch(`http://127.0.0.1:${recorder.port}/api/ingest/push/${camera}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const text = await res.text();
  api.answers.push(text);
  return { status: res.status, text };
}

const door = async () =>
  (await api.call('GET', '/api/cameras/door')).body as { connected: boolean; state: string; source_url: string; push_token_set: boolean };
const uploaded = (l: LogLine): boolean => l.msg === 'segment uploaded' && l.camera === 'door';

describe('http_push camera', () => {
  test('a picture that is not a JPEG is a 415, a wrong token a 401, an unknown camera a 404', async () => {
    const png = await push('door', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), DOOR_TOKEN);
    assert.equal(png.status, 415, png.text);
    assert.match(png.text, /JPEG/);
    assert.equal((await push('door', pictures[0]!, 'not-the-door-token-at-all')).status, 401);
    assert.equal((await push('garage', pictures[0]!, API_TOKEN)).status, 404);
    const view = await door();
    assert.deepEqual([view.source_url, view.push_token_set, view.connected], ['/api/ingest/push/door', true, false]);
  });

  let spanSec = 0;
  test('pictures at 2 per second keep the camera connected; 2 s after the last it is disconnected', async () => {
    const first = Date.now();
    for (const [i, jpeg] of pictures.entries()) {
      const res = await push('door', jpeg, DOOR_TOKEN, { timestamp: String(Date.now() / 1000) });
      assert.equal(res.status, 204, res.text);
      if (i === 10) assert.equal((await door()).connected, true);
      await sleep(Math.max(0, first + ((i + 1) * 1000) / FPS - Date.now()));
    }
    spanSec = (Date.now() - first) / 1000 - 1 / FPS;
    assert.equal(await recorder.metric('camera_stream_connected', { camera_id: 'door' }), 1);
    await recorder.until(async () => !(await door()).connected, 15_000, 'door disconnected');
    assert.equal(await recorder.metric('camera_stream_connected', { camera_id: 'door' }), 0);
    assert.equal(await recorder.metric('camera_pushed_frames_total', { camera_id: 'door', result: 'taken' }), pictures.length);
  });

  test('the pictures are in the bucket as H.264 segments, as long as the pushing: the last one finished after push.idle_finalize', async (t) => {
    await recorder.waitForLog((l) => l.msg === 'ffmpeg finished its segment' && l.camera === 'door' && l.why === 'idle', 30_000, 'idle finalize');
    const finished = recorder.logs.filter((l) => l.msg === 'segment finished' && l.camera === 'door').length;
    await recorder.waitForCount(uploaded, finished, 60_000, 'door uploads');
    const keys = (await listKeys(client, bucket, 'door/')).filter((k) => k.endsWith('.mp4'));
    assert.equal(keys.length, finished);
    let total = 0;
    for (const key of keys) {
      const { probe } = await fetchSegment(client, bucket, key);
      assert.deepEqual(probe.codecs, ['h264'], key);
      total += probe.durationSec;
    }
    t.diagnostic(`${keys.length} segments hold ${total.toFixed(2)} s of the ${spanSec.toFixed(2)} s pushed`);
    assert.ok(Math.abs(total - spanSec) <= 1, `${keys.length} segments hold ${total.toFixed(2)} s of the ${spanSec.toFixed(2)} s pushed`);
  });

  test('a push camera added over the API takes its own token; no token is ever in an answer or a log line', async () => {
    const added = await api.call('POST', '/api/cameras', { id: 'lobby', source_type: 'http_push', push_token: LOBBY_TOKEN });
    assert.equal(added.status, 201, added.text);
    assert.deepEqual([added.body.source_type, added.body.push_token_set], ['http_push', true]);
    assert.equal((await push('lobby', pictures[0]!, LOBBY_TOKEN)).status, 204);
    assert.equal((await push('lobby', pictures[1]!, DOOR_TOKEN)).status, 401);
    await api.call('GET', '/api/cameras');
    for (const secret of [DOOR_TOKEN, LOBBY_TOKEN, API_TOKEN]) {
      assert.ok(!api.answers.some((a) => a.includes(secret)), 'no answer holds a token');
      assert.ok(!recorder.raw.some((l) => l.includes(secret)), 'no log line holds a token');
    }
  });

  test("SIGTERM finishes a push camera's open segment and uploads it before the process exits 0", async () => {
    for (const jpeg of pictures.slice(2, 8)) {
      assert.equal((await push('lobby', jpeg, LOBBY_TOKEN)).status, 204);
      await sleep(1000 / FPS);
    }
    const exit = await recorder.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null });
    const stored = recorder.logs.filter((l) => l.msg === 'segment uploaded' && l.camera === 'lobby');
    assert.equal(stored.length, 1, 'the open segment of lobby was uploaded at shutdown');
    const { probe } = await fetchSegment(client, bucket, String(stored[0]!.key));
    assert.deepEqual(probe.codecs, ['h264']);
    assert.ok(probe.durationSec >= 2, `${probe.durationSec} s`);
  });
});

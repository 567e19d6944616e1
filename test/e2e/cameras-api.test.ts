// Cameras as data, end to end: the real CLI on a real Ceph RGW and real GStreamer cameras. A camera
// from the environment records throughout while two cameras are added over REST, one is re-pointed
// at another camera server, the other is deleted, and the process restarts; the config camera
// never loses a segment, and no camera password is ever shown, logged or stored in plain text.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ApiClient } from '../support/api-client.ts';
import { fetchSegment, listKeys, localSegments } from '../support/bucket.ts';
import type { LogLine, RecorderProcess } from '../support/recorder-process.ts';
import { startRtspServer, type RtspServer } from '../support/rtsp-server.ts';
import { startS3Recorder } from '../support/s3-recorder.ts';
import { s3Client, startS3Server, type S3Server } from '../support/s3-server.ts';

const TOKEN = 'cameras-api-token-4f1c';
const SECRETS_KEY = 'a3'.repeat(32); // 32 bytes, hex
const PASSWORD_A = 'pw-A-9xQ4v';
const PASSWORD_B = 'pw-B-7kL2m';
const PASSWORD_B2 = 'pw-B2-3nT8r';
const SECRETS = [PASSWORD_A, PASSWORD_B, PASSWORD_B2, TOKEN, SECRETS_KEY];

let s3: S3Server;
let client: S3Client;
let first: RtspServer; // 640x360: the config camera, cam-a, cam-b before its change
let second: RtspServer; // 320x180: cam-b after its change
const running = new Set<RecorderProcess>();

before(async () => {
  [s3, first, second] = await Promise.all([
    startS3Server(),
    startRtspServer({ mounts: { '/fixed': 'none', '/a': 'none', '/b': 'none' } }),
    startRtspServer({ mounts: { '/b2': 'none' }, size: '320x180' }),
  ]);
  client = s3Client(s3);
});
after(async () => {
  for (const r of running) await r.stop('SIGKILL');
  await Promise.all([first?.stop(), second?.stop()]);
  client?.destroy();
  await s3?.stop();
});

const withPassword = (server: RtspServer, mount: string, password: string): string => server.url(mount).replace('rtsp://', `rtsp://viewer:${password}@`);
const uploaded =
  (camera: string) =>
  (l: LogLine): boolean =>
    l.msg === 'segment uploaded' && l.camera === camera;

async function start(opts: { tempDir?: string; bucket?: string } = {}) {
  const started = await startS3Recorder(s3, { API_TOKEN: TOKEN, CAMERA_SECRETS_KEY: SECRETS_KEY, CAMERA1_RTSP_URL: first.url('/fixed') }, opts);
  running.add(started.recorder);
  await started.recorder.until(async () => (await started.recorder.get('/ready')).status === 200, 60_000, 'ready');
  return { ...started, api: new ApiClient(started.recorder.port, TOKEN) };
}

/** Width of the stored segment's picture: which camera server it came from. */
async function width(bucket: string, key: string): Promise<number> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const file = join(mkdtempSync(join(tmpdir(), 'cameras-api-')), 'segment.mp4');
  writeFileSync(file, await out.Body!.transformToByteArray());
  return Number(
    execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width', '-of', 'csv=p=0', file], { encoding: 'utf8' }).trim(),
  );
}

/** The start time a segment's key names (whole seconds). */
function keyTime(key: string): number {
  const k = /\/(\d{4})(\d{2})(\d{2})\/(\d{2})(\d{2})(\d{2})_/.exec(key)!.slice(1).map(Number);
  return Date.UTC(k[0]!, k[1]! - 1, k[2]!, k[3]!, k[4]!, k[5]!);
}

/** Start and end (from the object metadata) of every stored segment of a camera, in time order. */
async function storedBounds(bucket: string, camera: string): Promise<{ key: string; startMs: number; endMs: number }[]> {
  const keys = (await listKeys(client, bucket, `${camera}/`)).filter((k) => k.endsWith('.mp4'));
  const out = await Promise.all(
    keys.map(async (key) => {
      const { metadata } = await fetchSegment(client, bucket, key);
      return { key, startMs: Date.parse(metadata.start!), endMs: Date.parse(metadata.end!) };
    }),
  );
  return out.sort((a, b) => a.startMs - b.startMs);
}

/** Every file under `dir` except segments, as text. */
function textFilesUnder(dir: string): string {
  let all = '';
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && !e.name.endsWith('.mp4')) all += readFileSync(join(e.parentPath, e.name), 'latin1');
  }
  return all;
}

test('cameras are added, changed and removed at runtime, survive a restart, and the config camera never misses a segment', async () => {
  const { recorder, api, tempDir, bucket } = await start();

  // the config camera is listed, marked as such, and read-only over the API
  const listed = await api.call('GET', '/api/cameras');
  assert.equal(listed.status, 200);
  const fixed = (listed.body.cameras as { id: string; origin: string; defined_in: string }[]).find((c) => c.id === 'camera-1');
  assert.equal(fixed?.origin, 'config');
  const readOnly = await api.call('PATCH', '/api/cameras/camera-1', { enabled: false });
  assert.equal(readOnly.status, 409);
  assert.match(String(readOnly.body.error), /CAMERA1_RTSP_URL/);
  assert.equal((await api.call('DELETE', '/api/cameras/camera-1')).status, 409);

  // two cameras added over REST record at once; the password is never echoed
  const a = await api.call('POST', '/api/cameras', {
    id: 'cam-a',
    source_type: 'rtsp',
    source_url: withPassword(first, '/a', PASSWORD_A),
    labels: { site: 'north' },
  });
  assert.equal(a.status, 201, a.text);
  assert.equal(a.body.origin, 'api');
  assert.match(String(a.body.source_url), /^rtsp:\/\/viewer:\*\*\*@127\.0\.0\.1:\d+\/a$/);
  const b = await api.call('POST', '/api/cameras', { id: 'cam-b', source_type: 'rtsp', source_url: withPassword(first, '/b', PASSWORD_B) });
  assert.equal(b.status, 201, b.text);
  // every change is on the log at info, with the request id the client got back
  const audit = recorder.logs.find((l) => l.msg === 'api request' && l.method === 'POST' && l.status === 201 && l.url === '/api/cameras');
  assert.ok(audit && typeof audit.reqId === 'string' && audit.level === 'info', 'the POST is on the log at info with its request id');

  // bad input: each refused with the field named, nothing started
  assert.equal((await api.call('POST', '/api/cameras', { id: 'cam-a', source_type: 'rtsp', source_url: first.url('/a') })).status, 409);
  const badId = await api.call('POST', '/api/cameras', { id: 'Bad_Id', source_type: 'rtsp', source_url: first.url('/a') });
  assert.equal(badId.status, 400);
  assert.match(String(badId.body.field), /id/);
  for (const source_url of ['file:///etc/passwd', 'synthetic:?size=160x120', 'http://127.0.0.1/x']) {
    const bad = await api.call('POST', '/api/cameras', { id: 'cam-x', source_type: 'rtsp', source_url });
    assert.equal(bad.status, 400, `${source_url}: ${bad.text}`);
    assert.match(String(bad.body.field), /source_url/);
  }
  assert.equal((await api.call('GET', '/api/cameras/cam-x')).status, 404);

  await recorder.waitForCount(uploaded('cam-a'), 2, 60_000, 'cam-a uploads');
  await recorder.waitForCount(uploaded('cam-b'), 2, 60_000, 'cam-b uploads');
  const before = recorder.logs.filter(uploaded('cam-b')).map((l) => String(l.key));
  assert.equal(await width(bucket, before[0]!), 640);

  // cam-b re-pointed at the second server: same id, the new picture size in its next segments
  const changedAt = Date.now();
  const changed = await api.call('PATCH', '/api/cameras/cam-b', { source_url: withPassword(second, '/b2', PASSWORD_B2) });
  assert.equal(changed.status, 200, changed.text);
  assert.match(String(changed.body.source_url), /:\*\*\*@127\.0\.0\.1:\d+\/b2$/);
  const afterChange = await recorder.waitForLog(
    (l) => uploaded('cam-b')(l) && keyTime(String(l.key)) >= changedAt,
    60_000,
    'a cam-b segment named after the change',
  );
  assert.equal(await width(bucket, String(afterChange.key)), 320);

  // cam-a deleted: its last segment is uploaded, its series leave /metrics, its footage stays
  const removed = await api.call('DELETE', '/api/cameras/cam-a');
  assert.equal(removed.status, 200, removed.text);
  assert.equal((await api.call('GET', '/api/cameras/cam-a')).status, 404);
  await recorder.until(
    async () =>
      localSegments(tempDir).every((s) => !s.startsWith('cam-a/')) && (await recorder.metric('camera_upload_backlog_segments', { camera_id: 'cam-a' })) === 0,
    60_000,
    'cam-a backlog uploaded',
  );
  const finishedA = recorder.logs.filter((l) => l.msg === 'segment finished' && l.camera === 'cam-a').length;
  assert.equal(recorder.logs.filter(uploaded('cam-a')).length, finishedA, 'every finished cam-a segment uploaded');
  await recorder.until(async () => !(await recorder.get('/metrics')).body.includes('camera_id="cam-a"'), 30_000, 'cam-a series gone from /metrics');
  assert.ok((await listKeys(client, bucket, 'cam-a/')).length >= 2, 'cam-a footage stays in the bucket');

  // the config camera was never interrupted: one connection, contiguous segments
  await recorder.waitForCount(uploaded('camera-1'), 4, 60_000, 'camera-1 uploads');
  assert.equal(recorder.logs.filter((l) => l.msg === 'stream connected' && l.camera === 'camera-1').length, 1, 'camera-1 connected once');
  const bounds = await storedBounds(bucket, 'camera-1');
  for (let i = 1; i < bounds.length; i++) {
    const gapMs = bounds[i]!.startMs - bounds[i - 1]!.endMs;
    assert.ok(Math.abs(gapMs) <= 500, `camera-1: ${gapMs} ms between ${bounds[i - 1]!.key} and ${bounds[i]!.key}`);
  }
  const metrics = (await recorder.get('/metrics')).body;
  assert.equal((await recorder.stop()).code, 0);

  // a restart brings the runtime camera back, re-pointed, recording; the deleted one stays gone
  const again = await start({ tempDir, bucket });
  const relisted = await again.api.call('GET', '/api/cameras');
  const views = relisted.body.cameras as { id: string; origin: string; source_url: string }[];
  assert.deepEqual(views.map((c) => [c.id, c.origin]).sort(), [
    ['cam-b', 'api'],
    ['camera-1', 'config'],
  ]);
  assert.match(views.find((c) => c.id === 'cam-b')!.source_url, /\/b2$/);
  await again.recorder.waitForCount(uploaded('cam-b'), 1, 60_000, 'cam-b uploads after the restart');
  const metricsAgain = (await again.recorder.get('/metrics')).body;
  assert.equal((await again.recorder.stop()).code, 0);

  // no password anywhere: logs, answers, /metrics, the bucket's camera records, the local cache
  const stored = await Promise.all(
    (await listKeys(client, bucket))
      .filter((k) => !k.endsWith('.mp4'))
      .map(async (k) => {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: k }));
        return Buffer.from(await out.Body!.transformToByteArray()).toString('latin1');
      }),
  );
  assert.ok(stored.length > 0, 'camera records in the bucket');
  const everywhere: [string, string][] = [
    ['logs', [...recorder.raw, ...again.recorder.raw].join('\n')],
    ['answers', [...api.answers, ...again.api.answers].join('\n')],
    ['metrics', metrics + metricsAgain],
    ['bucket', stored.join('\n')],
    ['temp dir', textFilesUnder(tempDir)],
  ];
  for (const [where, text] of everywhere) {
    for (const secret of SECRETS) assert.ok(!text.includes(secret), `${secret} found in ${where}`);
  }
});

// Finding, exporting and event clips, against footage a real recorder put into a real Ceph RGW.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listKeys } from '../support/bucket.ts';
import { probeFile } from '../support/media.ts';
import { freePort } from '../support/ports.ts';
import { RecorderProcess, runCli } from '../support/recorder-process.ts';
import { startRtspServer, type RtspServer } from '../support/rtsp-server.ts';
import { s3Client, startS3Server, type S3Server } from '../support/s3-server.ts';

const GOP_S = 2;
const TOKEN = 'api-token-Test-5d1c';
const BUCKET = 'clips-test';

let s3: S3Server;
let client: S3Client;
let camera: RtspServer;
let recorder: RecorderProcess;
let tempDir: string;

function storeEnv(): Record<string, string> {
  return { S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey, S3_BUCKET: BUCKET };
}
async function startRecorder(): Promise<RecorderProcess> {
  const r = new RecorderProcess(
    {
      ...storeEnv(),
      TEMP_DIR: tempDir,
      SEGMENT_DURATION: '4s',
      CAMERA1_RTSP_URL: camera.url('/cam'),
      RTSP_TIMEOUT: '3s',
      RESTART_MAX: '2s',
      API_TOKEN: TOKEN,
      EVENT_POLL_INTERVAL: '500ms',
    },
    await freePort(),
  );
  await r.until(async () => (await r.get('/ready')).status === 200, 60_000, 'ready');
  return r;
}
const api = (path: string, init: RequestInit = {}, token: string | undefined = TOKEN) =>
  fetch(`http://127.0.0.1:${recorder.port}${path}`, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
  });
const postEvent = (body: unknown, token?: string) => api('/api/events', { method: 'POST', body: JSON.stringify(body) }, token);

interface Listing {
  segments: { key: string; start: string; end: string; url?: string | null }[];
  gaps: { from: string; to: string }[];
}
async function list(from: string, to: string): Promise<Listing> {
  const r = await runCli(['clips', 'list', '--camera', 'camera-1', '--from', from, '--to', to, '--json'], storeEnv());
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Listing;
}
const isoAt = (ms: number): string => new Date(ms).toISOString();
const ms = (iso: string): number => Date.parse(iso);
// biome-ignore lint/suspicious/noExplicitAny: an event's JSON as the API and the bucket hold it, read field by field in assertions
type EventAnswer = Record<string, any>;

async function waitEvent(id: string, timeoutMs: number): Promise<EventAnswer> {
  let last: EventAnswer = {};
  await recorder.until(
    async () => {
      last = (await (await api(`/api/events/${id}`)).json()) as EventAnswer;
      return last.status !== 'pending';
    },
    timeoutMs,
    `event ${id} to finish`,
  );
  return last;
}

before(async () => {
  [s3, camera] = await Promise.all([startS3Server(), startRtspServer({ mounts: { '/cam': 'aac' } })]);
  client = s3Client(s3);
  tempDir = mkdtempSync(join(tmpdir(), 'clips-'));
  recorder = await startRecorder();
  await recorder.waitForCount((l) => l.msg === 'segment uploaded', 4, 60_000, 'uploads');
});
after(async () => {
  await recorder?.stop('SIGKILL');
  await camera?.stop();
  client?.destroy();
  await s3?.stop();
});

describe('clips', () => {
  test('a range across a segment boundary exports as one seekable H.264+AAC MP4, within one GOP of the asked bounds', async () => {
    const all = await list(isoAt(Date.now() - 120_000), isoAt(Date.now()));
    assert.ok(all.segments.length >= 4, JSON.stringify(all));
    const [a, b] = all.segments.slice(-3); // not the first segment: it starts whenever ffmpeg connected
    const from = ms(a!.start) + 1500;
    const to = ms(b!.start) + 1500;
    const out = join(mkdtempSync(join(tmpdir(), 'export-')), 'clip.mp4');
    const r = await runCli(['clips', 'export', '--camera', 'camera-1', '--from', isoAt(from), '--to', isoAt(to), '-o', out, '--json'], storeEnv());
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      from: string;
      to: string;
      start_offset_seconds: number;
      end_offset_seconds: number;
      segments: number;
      gaps: unknown[];
    };
    assert.equal(report.segments, 2);
    assert.deepEqual(report.gaps, []);
    assert.ok(report.start_offset_seconds >= 0 && report.start_offset_seconds <= GOP_S, `start offset ${report.start_offset_seconds}`);
    assert.ok(Math.abs(report.end_offset_seconds) <= GOP_S, `end offset ${report.end_offset_seconds}`);
    const probed = probeFile(out);
    assert.deepEqual(probed.codecs, ['h264', 'aac']);
    const asked = (to - from) / 1000;
    assert.ok(
      probed.durationSec >= asked - GOP_S && probed.durationSec <= asked + GOP_S + 0.5,
      `duration ${probed.durationSec} for ${asked} asked; ${r.stdout} ${JSON.stringify([a, b])}`,
    );
    const bytes = readFileSync(out);
    assert.ok(bytes.indexOf('moov') < bytes.indexOf('mdat'), 'faststart: moov before mdat');
  });

  test('the segment listing over HTTP carries presigned URLs a browser can fetch directly', async () => {
    const now = Date.now();
    const res = await api(`/api/cameras/camera-1/segments?from=${isoAt(now - 60_000)}&to=${isoAt(now)}`);
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as Listing & { url_expires_in_seconds: number };
    assert.ok(body.segments.length >= 2);
    assert.equal(body.url_expires_in_seconds, 900);
    const seg = body.segments[0]!;
    const direct = await fetch(seg.url!);
    assert.equal(direct.status, 200, `${seg.url!.replace(/Signature=\w+/, 'Signature=…')}: ${await direct.clone().text()}`);
    const bytes = Buffer.from(await direct.arrayBuffer());
    const stored = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: seg.key }));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), stored.Metadata?.sha256);
  });

  test('GET /api/cameras/{id}/clip streams the MP4 with its real bounds in headers', async () => {
    const { segments } = await list(isoAt(Date.now() - 60_000), isoAt(Date.now()));
    const s = segments.at(-2)!;
    const res = await api(`/api/cameras/camera-1/clip?from=${encodeURIComponent(isoAt(ms(s.start) + 500))}&to=${encodeURIComponent(isoAt(ms(s.end) - 500))}`);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'video/mp4');
    assert.ok(ms(res.headers.get('x-clip-from')!) <= ms(s.start) + 500);
    const file = join(mkdtempSync(join(tmpdir(), 'http-clip-')), 'c.mp4');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    assert.deepEqual(probeFile(file).codecs, ['h264', 'aac']);
  });

  test('a range with no footage is a clear error, not an empty file', async () => {
    const r = await runCli(
      ['clips', 'export', '--camera', 'camera-1', '--from', '2001-01-01T00:00:00Z', '--to', '2001-01-01T00:01:00Z', '-o', join(tmpdir(), 'never.mp4')],
      storeEnv(),
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no footage of camera-1 between 2001-01-01T00:00:00.000Z and 2001-01-01T00:01:00.000Z/);
    const res = await api('/api/cameras/camera-1/clip?from=2001-01-01T00:00:00Z&to=2001-01-01T00:01:00Z');
    assert.equal(res.status, 404);
  });

  test('an event whose post-roll is still being recorded completes once it is uploaded: clip and JSON in the bucket, metadata intact', async () => {
    const metadata = { transaction: 'T-1001', lane: 4, items: [{ sku: 'A1', qty: 2 }] };
    const res = await postEvent({ camera: 'camera-1', pre_seconds: 3, post_seconds: 3, metadata });
    assert.equal(res.status, 202);
    const accepted = (await res.json()) as { id: string; status: string; at: string };
    assert.equal(accepted.status, 'pending');
    const done = await waitEvent(accepted.id, 60_000);
    assert.equal(done.status, 'done', JSON.stringify(done));
    const base = `events/camera-1/${accepted.at.slice(0, 10).replaceAll('-', '')}/${accepted.at.slice(11, 19).replaceAll(':', '')}_${accepted.id}`;
    assert.equal(done.clip.key, `${base}.mp4`);
    const keys = await listKeys(client, BUCKET, 'events/');
    assert.ok(keys.includes(`${base}.mp4`) && keys.includes(`${base}.json`), keys.join(','));
    const json = JSON.parse(await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${base}.json` }))).Body!.transformToString()) as EventAnswer;
    assert.deepEqual(json.metadata, metadata);
    assert.equal(json.event_id, accepted.id);
    assert.equal(json.at, accepted.at);
    assert.ok(ms(json.clip.from) <= ms(accepted.at) - 3000 + 200 && ms(json.clip.from) >= ms(accepted.at) - 3000 - GOP_S * 1000, JSON.stringify(json));
    const clipFile = join(mkdtempSync(join(tmpdir(), 'event-')), 'e.mp4');
    writeFileSync(clipFile, Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${base}.mp4` }))).Body!.transformToByteArray()));
    const probed = probeFile(clipFile);
    assert.deepEqual(probed.codecs, ['h264', 'aac']);
    assert.ok(probed.durationSec >= 6 - 0.5 && probed.durationSec <= 6 + GOP_S + 0.5, `event clip ${probed.durationSec} s`);
  });

  test('overlapping events each get their own clip', async () => {
    const ids = await Promise.all(
      [1, 2].map(
        async (n) => ((await (await postEvent({ camera: 'camera-1', pre_seconds: 2, post_seconds: 2, metadata: { n } })).json()) as { id: string }).id,
      ),
    );
    const done = await Promise.all(ids.map((id) => waitEvent(id, 60_000)));
    assert.deepEqual(
      done.map((d) => d.status),
      ['done', 'done'],
    );
    assert.notEqual(done[0]!.clip.key, done[1]!.clip.key);
  });

  test('an export across a gap (camera down) reports the gap and joins the footage on either side', async () => {
    const downAt = Date.now();
    await camera.kill();
    await new Promise((r) => setTimeout(r, 6000));
    await camera.start();
    const uploadsBefore = recorder.logs.filter((l) => l.msg === 'segment uploaded').length;
    await recorder.waitForCount((l) => l.msg === 'segment uploaded', uploadsBefore + 2, 60_000, 'uploads after the camera came back');
    const from = downAt - 3000;
    const { segments } = await list(isoAt(from), isoAt(Date.now()));
    const to = ms(segments.at(-1)!.end) - 500;
    const listing = await list(isoAt(from), isoAt(to));
    assert.equal(listing.gaps.length, 1, JSON.stringify(listing.gaps));
    const gap = listing.gaps[0]!;
    assert.ok(ms(gap.to) - ms(gap.from) >= 5000, `gap of ${(ms(gap.to) - ms(gap.from)) / 1000} s`);
    assert.ok(ms(gap.from) >= downAt - 1500 && ms(gap.from) <= downAt + 5000, 'the gap starts when the camera went down');
    const out = join(mkdtempSync(join(tmpdir(), 'gap-')), 'gap.mp4');
    const r = await runCli(['clips', 'export', '--camera', 'camera-1', '--from', isoAt(from), '--to', isoAt(to), '-o', out], storeEnv());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /gap: no footage from \S+ to \S+/);
    const probed = probeFile(out);
    const footage = (to - from - (ms(gap.to) - ms(gap.from))) / 1000;
    assert.ok(Math.abs(probed.durationSec - footage) <= GOP_S + 0.5, `clip ${probed.durationSec} s for ${footage} s of footage`);
  });

  test('a pending event survives a restart and completes afterwards', async () => {
    // The post-roll must end after footage resumes: stopping, starting and ffmpeg's probing take
    // 9 s and more on a loaded machine, and an event whose end is not covered waits events.wait_max.
    const res = await postEvent({ camera: 'camera-1', pre_seconds: 1, post_seconds: 20, metadata: { restart: true } });
    const { id } = (await res.json()) as { id: string };
    assert.deepEqual(await recorder.stop('SIGTERM'), { code: 0, signal: null });
    assert.equal((JSON.parse(readFileSync(join(tempDir, '.events', `${id}.json`), 'utf8')) as { status: string }).status, 'pending');
    recorder = await startRecorder();
    const done = await waitEvent(id, 60_000);
    assert.equal(done.status, 'done', JSON.stringify(done));
    assert.deepEqual(done.metadata, { restart: true });
  });

  test('an event long past with no footage fails with the reason', async () => {
    const at = isoAt(Date.now() - 90 * 60_000); // before this recorder existed, and past events.wait_max (40m)
    const res = await postEvent({ camera: 'camera-1', at, pre_seconds: 2, post_seconds: 2, metadata: { late: true } });
    assert.equal(res.status, 202);
    const { id } = (await res.json()) as { id: string };
    const done = await waitEvent(id, 30_000);
    assert.equal(done.status, 'failed');
    assert.match(done.error, /^no footage of camera-1 between /);
  });

  test('bad event requests get a 400 naming the field; nothing is stored', async () => {
    const cases: [unknown, string][] = [
      [{ camera: 'camera-9' }, 'camera'],
      [{ camera: 'camera-1', at: '14:03 yesterday' }, 'at'],
      [{ camera: 'camera-1', metadata: { blob: 'x'.repeat(20_000) } }, 'metadata'],
      [{ camera: 'camera-1', pre_seconds: 301 }, 'pre_seconds'],
      [{ camera: 'camera-1', post_seconds: 9999 }, 'post_seconds'],
      [{ camera: 'camera-1', colour: 'red' }, 'colour'],
    ];
    const before = readdirCount();
    for (const [body, field] of cases) {
      const res = await postEvent(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const err = (await res.json()) as { error: string; field: string };
      assert.equal(err.field, field);
      assert.ok(err.error.length > 10);
    }
    const notJson = await api('/api/events', { method: 'POST', body: '{nope', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.status, 400);
    assert.equal(readdirCount(), before, 'no event file written');
  });

  test('requests without the token get 401; with API_TOKEN unset the routes are off and say so', async () => {
    assert.equal((await postEvent({ camera: 'camera-1' }, '')).status, 401);
    const wrong = await api('/api/events/x', {}, 'not-the-token');
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal((await recorder.get('/metrics')).status, 200, '/metrics stays open');
    const off = new RecorderProcess(
      {
        STORAGE: 'filesystem',
        FILESYSTEM_ROOT: mkdtempSync(join(tmpdir(), 'off-')),
        TEMP_DIR: mkdtempSync(join(tmpdir(), 'off-t-')),
        CAMERA1_RTSP_URL: 'synthetic:?size=320x240&fps=10',
      },
      await freePort(),
    );
    try {
      await off.until(async () => (await off.get('/health')).status === 200, 20_000, 'health');
      const res = await off.get('/api/events');
      assert.equal(res.status, 404);
      assert.match(res.body, /the \/api routes are off: set API_TOKEN/);
    } finally {
      await off.stop();
    }
    assert.ok(!recorder.raw.join('\n').includes(TOKEN), 'token never logged');
  });
});

function readdirCount(): number {
  return readdirSync(join(tempDir, '.events')).length;
}

// Small objects from memory (camera records, snapshots) against a real Ceph RGW: stored byte for byte
// with their Content-MD5 and metadata, refused when damaged on the way, deleted (and deleting twice
// succeeds). A snapshot of the same second and reason is stored beside the first, not over it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { CameraRecords } from '../../src/camera/camera-records.ts';
import { type Clock, systemClock } from '../../src/clock.ts';
import type { ArchiveMetrics } from '../../src/frames/archive-metrics.ts';
import { SnapshotArchive } from '../../src/frames/snapshot-archive.ts';
import { createLogger } from '../../src/logger.ts';
import { Redactor } from '../../src/redact.ts';
import { StoreError } from '../../src/errors.ts';
import { S3Store } from '../../src/storage/s3-store.ts';
import { startFaultProxy } from '../support/fault-proxy.ts';
import { lineLogger } from '../support/line-logger.ts';
import { s3Client, startS3Server, type S3Server } from '../support/s3-server.ts';

/** A real JPEG of a lavfi source, as ffmpeg's snapshot pipe gives them. */
function lavfiJpeg(source: string): Buffer {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  return execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', source, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'mjpeg', '-']);
}

let s3: S3Server;
let client: S3Client;

function store(bucket: string, endpoint = s3.endpoint): S3Store {
  return new S3Store({
    endpoint,
    region: s3.region,
    bucket,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
    createBucket: true,
    connectTimeoutMs: 3000,
    requestTimeoutMs: 30_000,
    partSize: 5 * 2 ** 20,
    partConcurrency: 1,
  });
}

before(async () => {
  s3 = await startS3Server();
  client = s3Client(s3);
});
after(async () => {
  client?.destroy();
  await s3?.stop();
});

describe('S3 store: small objects', () => {
  test('a buffer is stored byte for byte, listed, read back, then deleted; a second delete succeeds', async () => {
    const s = store('small-objects');
    await s.init();
    const body = Buffer.from('{"id":"cam-1","enabled":true}\n');
    await s.putBytes({ key: '_cameras/cam-1.json', body, contentType: 'application/json' });
    const got = await client.send(new GetObjectCommand({ Bucket: 'small-objects', Key: '_cameras/cam-1.json' }));
    assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), body);
    assert.equal(got.ContentType, 'application/json');
    assert.deepEqual(await s.list('_cameras/'), ['_cameras/cam-1.json']);
    await s.delete('_cameras/cam-1.json');
    assert.deepEqual(await s.list('_cameras/'), []);
    await s.delete('_cameras/cam-1.json');
    s.close();
  });

  test('camera records round trip through the bucket: a new pod with an empty temp dir reads them back, password sealed', async () => {
    const s = store('camera-records');
    await s.init();
    const key = Buffer.alloc(32, 9);
    const log = createLogger('silent', new Redactor());
    const spec = {
      id: 'cam-1',
      sourceType: 'rtsp' as const,
      url: 'rtsp://admin:Pw-4711@127.0.0.1:8554/a',
      labels: { site: 's' },
      enabled: true,
      origin: 'api' as const,
      definedIn: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    await new CameraRecords({ store: s, tempDir: mkdtempSync(join(tmpdir(), 'records-a-')), key, log }).save(spec);
    const raw = await client.send(new GetObjectCommand({ Bucket: 'camera-records', Key: '_cameras/cam-1.json' }));
    assert.ok(!(await raw.Body!.transformToString()).includes('Pw-4711'), 'no plain password in the bucket');
    const loaded = await new CameraRecords({ store: s, tempDir: mkdtempSync(join(tmpdir(), 'records-b-')), key, log }).load();
    assert.deepEqual(loaded, { from: 'store', cameras: [spec] });
    s.close();
  });

  test('a buffer damaged on the way (same size) is refused by its Content-MD5 and nothing is stored', async (t) => {
    const proxy = await startFaultProxy(s3.endpoint, () => false, { corrupt: (req) => req.method === 'PUT' });
    const s = store('small-damaged', proxy.endpoint);
    t.after(async () => {
      s.close();
      await proxy.close();
    });
    await s.init();
    await assert.rejects(
      s.putBytes({ key: '_cameras/cam-2.json', body: Buffer.from('{"id":"cam-2","source_url":"rtsp://h/s"}\n'), contentType: 'application/json' }),
      (err: unknown) => err instanceof StoreError && err.kind === 'mismatch',
    );
    assert.ok(proxy.corrupted.length >= 1, 'the body was damaged on the way');
    assert.deepEqual(await store('small-damaged').list('_cameras/'), []);
  });
});

describe('S3 store: snapshots', () => {
  test('a snapshot reads back from the bucket byte for byte with its metadata; one of the same second and reason goes beside it', async (t) => {
    const s = store('snapshots-e2e');
    t.after(() => s.close());
    await s.init();
    const outcomes: string[] = [];
    const metrics: ArchiveMetrics = {
      stored: (camera, reason) => outcomes.push(`stored ${camera} ${reason}`),
      skipped: (camera, reason, why) => outcomes.push(`skipped ${camera} ${reason} ${why}`),
    };
    // the rate limit goes by this clock; the test moves it past min_interval instead of waiting
    const clock: Clock & { t: number } = { t: Date.now(), now: () => clock.t, sleep: systemClock.sleep };
    const archive = new SnapshotArchive({
      store: s,
      clock,
      log: lineLogger().log,
      metrics,
      defaults: { mode: 'abnormal', minIntervalMs: 1000, sampleIntervalMs: 300_000 },
    });
    const jpeg = lavfiJpeg('testsrc2=size=320x180');
    const capturedAtMs = Date.UTC(2026, 11, 1, 9, 5, 7, 250);
    assert.equal(archive.offer({ cameraId: 'cam-1', reason: 'frozen', jpeg, capturedAtMs, labels: { site: 'store 12' } }), 'started');
    await archive.idle();

    const got = await client.send(new GetObjectCommand({ Bucket: 'snapshots-e2e', Key: 'snapshots/cam-1/20261201/090507_frozen.jpg' }));
    assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), jpeg);
    assert.equal(got.ContentType, 'image/jpeg');
    assert.deepEqual(got.Metadata, { camera: 'cam-1', reason: 'frozen', 'captured-at': '2026-12-01T09:05:07.250Z', 'label-site': 'store%2012' });

    // a minute later a frame with the same capture time (a pushed camera may repeat one)
    clock.t += 60_000;
    const other = lavfiJpeg('smptebars=size=320x180');
    assert.equal(archive.offer({ cameraId: 'cam-1', reason: 'frozen', jpeg: other, capturedAtMs }), 'started');
    await archive.idle();
    assert.deepEqual(await s.list('snapshots/cam-1/'), ['snapshots/cam-1/20261201/090507_frozen.jpg', 'snapshots/cam-1/20261201/090507_frozen_2.jpg']);
    const first = await client.send(new GetObjectCommand({ Bucket: 'snapshots-e2e', Key: 'snapshots/cam-1/20261201/090507_frozen.jpg' }));
    assert.deepEqual(Buffer.from(await first.Body!.transformToByteArray()), jpeg, 'the first is unchanged');
    assert.deepEqual(outcomes, ['stored cam-1 frozen', 'stored cam-1 frozen']);
    await archive.stop();
  });
});

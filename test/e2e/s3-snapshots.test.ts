// Snapshots against a real Ceph RGW: the archive's JPEG reads back byte for byte under its key, with
// the camera, reason, capture time and labels as object metadata; a second one of the same second
// and reason is stored beside it, not over it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { type Clock, systemClock } from '../../src/clock.ts';
import type { ArchiveMetrics } from '../../src/frames/archive-metrics.ts';
import { SnapshotArchive } from '../../src/frames/snapshot-archive.ts';
import { S3Store } from '../../src/storage/s3-store.ts';
import { lineLogger } from '../support/line-logger.ts';
import { s3Client, startS3Server, type S3Server } from '../support/s3-server.ts';

/** A real JPEG of a lavfi source, as ffmpeg's snapshot pipe gives them. */
function lavfiJpeg(source: string): Buffer {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  return execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', source, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'mjpeg', '-']);
}

let s3: S3Server;
let client: S3Client;

before(async () => {
  s3 = await startS3Server();
  client = s3Client(s3);
});
after(async () => {
  client?.destroy();
  await s3?.stop();
});

test('a snapshot reads back from the bucket byte for byte with its metadata; one of the same second and reason goes beside it', async (t) => {
  const store = new S3Store({
    endpoint: s3.endpoint,
    region: s3.region,
    bucket: 'snapshots-e2e',
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
    createBucket: true,
    connectTimeoutMs: 3000,
    requestTimeoutMs: 30_000,
    partSize: 5 * 2 ** 20,
    partConcurrency: 1,
  });
  t.after(() => store.close());
  await store.init();
  const outcomes: string[] = [];
  const metrics: ArchiveMetrics = {
    stored: (camera, reason) => outcomes.push(`stored ${camera} ${reason}`),
    skipped: (camera, reason, why) => outcomes.push(`skipped ${camera} ${reason} ${why}`),
  };
  // the rate limit goes by this clock; the test moves it past min_interval instead of waiting
  const clock: Clock & { t: number } = { t: Date.now(), now: () => clock.t, sleep: systemClock.sleep };
  const archive = new SnapshotArchive({
    store,
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
  assert.deepEqual(await store.list('snapshots/cam-1/'), ['snapshots/cam-1/20261201/090507_frozen.jpg', 'snapshots/cam-1/20261201/090507_frozen_2.jpg']);
  const first = await client.send(new GetObjectCommand({ Bucket: 'snapshots-e2e', Key: 'snapshots/cam-1/20261201/090507_frozen.jpg' }));
  assert.deepEqual(Buffer.from(await first.Body!.transformToByteArray()), jpeg, 'the first is unchanged');
  assert.deepEqual(outcomes, ['stored cam-1 frozen', 'stored cam-1 frozen']);
  await archive.stop();
});

// The S3 store against a real Ceph RGW: files larger than a part go up as multipart uploads of file
// ranges, byte for byte; a part the store fails once is sent again; an aborted or failed upload
// leaves neither an object nor an unfinished upload behind; bytes damaged on the way are refused by
// the store (Content-MD5) and the segment stays on disk until it is stored whole.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { systemClock } from '../../src/clock.ts';
import type { Config } from '../../src/config/schema.ts';
import { StoreError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { Redactor } from '../../src/redact.ts';
import { StoreHealth } from '../../src/storage/store-health.ts';
import { Uploader } from '../../src/storage/uploader.ts';
import { expectedEtag } from '../../src/storage/etag.ts';
import { fileDigests } from '../../src/storage/hash.ts';
import { S3Store } from '../../src/storage/s3-store.ts';
import { startFaultProxy } from '../support/fault-proxy.ts';
import { s3Client, startS3Server, type S3Server } from '../support/s3-server.ts';

const MiB = 2 ** 20;
let s3: S3Server;
let client: S3Client;
let dir: string;

function storeConfig(bucket: string, partSize: number, partConcurrency: number, endpoint = s3.endpoint): Config['s3'] {
  return {
    endpoint,
    region: s3.region,
    bucket,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
    createBucket: true,
    connectTimeoutMs: 3000,
    requestTimeoutMs: 30_000,
    partSize,
    partConcurrency,
  };
}

function file(name: string, bytes: number): { path: string; data: Buffer } {
  const data = randomBytes(bytes);
  const path = join(dir, name);
  writeFileSync(path, data);
  return { path, data };
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function unfinishedUploads(bucket: string): Promise<number> {
  return (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads?.length ?? 0;
}

before(async () => {
  s3 = await startS3Server();
  client = s3Client(s3);
  dir = mkdtempSync(join(tmpdir(), 's3-store-'));
});
after(async () => {
  client?.destroy();
  await s3?.stop();
});

describe('S3 store', () => {
  for (const [what, bytes] of [
    ['a file larger than a part (multipart, 3 parts at once)', 23 * MiB + 12345],
    ['a file of at most one part (one PutObject)', 5 * MiB],
  ] as const) {
    test(`${what} is stored byte for byte with its metadata`, async () => {
      const bucket = `parts-${bytes}`;
      const store = new S3Store(storeConfig(bucket, 5 * MiB, 3));
      await store.init();
      const { path, data } = file(`f-${bytes}.bin`, bytes);
      const metadata = { sha256: sha256(data), camera: 'camera-1' };
      const digests = await fileDigests(path, store.partSize);
      await store.put({ key: 'a/b.mp4', path, size: bytes, contentType: 'video/mp4', metadata, digests, signal: AbortSignal.timeout(60_000) });
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/b.mp4' }));
      const body = await got.Body!.transformToByteArray();
      assert.equal(body.length, bytes);
      assert.equal(sha256(body), metadata.sha256);
      assert.deepEqual(got.Metadata, metadata);
      assert.equal(got.ContentType, 'video/mp4');
      assert.deepEqual(await store.head('a/b.mp4'), { size: bytes, metadata, etag: expectedEtag(digests), etagIsMd5: true });
      assert.equal(got.ETag, `"${expectedEtag(digests)}"`, 'the ETag Ceph computed is the one computed from the file');
      assert.equal(await unfinishedUploads(bucket), 0);
      store.close();
    });
  }

  test('an upload aborted between parts fails as a timeout and leaves no object and no unfinished upload', async () => {
    const bucket = 'aborted';
    const store = new S3Store(storeConfig(bucket, 5 * MiB, 1));
    await store.init();
    const bytes = 200 * MiB;
    const { path } = file('big.bin', bytes);
    const abort = new AbortController();
    const put = store.put({
      key: 'big.mp4',
      path,
      size: bytes,
      contentType: 'video/mp4',
      metadata: {},
      digests: await fileDigests(path, store.partSize),
      signal: abort.signal,
    });
    put.catch(() => undefined);
    // abort once the multipart upload exists on the store, i.e. in the middle of its parts
    const deadline = Date.now() + 30_000;
    while ((await unfinishedUploads(bucket)) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await unfinishedUploads(bucket), 1, 'the multipart upload started');
    abort.abort(new Error('attempt deadline'));
    await assert.rejects(put, (err: unknown) => err instanceof StoreError && err.kind === 'timeout' && /upload big\.mp4 failed/.test(err.message));
    await assert.rejects(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big.mp4' })), /NotFound|UnknownError/);
    assert.equal(await unfinishedUploads(bucket), 0, 'AbortMultipartUpload was sent');
    store.close();
  });

  const isPart =
    (n: number) =>
    (req: { method?: string; url?: string }): boolean =>
      req.method === 'PUT' && new URLSearchParams(req.url?.split('?')[1]).get('partNumber') === String(n);

  test('a part the store fails once is sent again and the upload completes byte for byte', async () => {
    const bucket = 'part-retry';
    let failures = 0;
    const proxy = await startFaultProxy(s3.endpoint, (req) => isPart(2)(req) && failures++ === 0);
    const store = new S3Store(storeConfig(bucket, 5 * MiB, 2, proxy.endpoint));
    try {
      await store.init();
      const bytes = 12 * MiB + 7;
      const { path, data } = file('retried.bin', bytes);
      await store.put({
        key: 'retried.mp4',
        path,
        size: bytes,
        contentType: 'video/mp4',
        metadata: { sha256: sha256(data) },
        digests: await fileDigests(path, store.partSize),
        signal: AbortSignal.timeout(60_000),
      });
      assert.deepEqual(
        proxy.seen
          .filter((l) => l.startsWith('PUT ') && l.includes('partNumber='))
          .map((l) => /partNumber=(\d+)/.exec(l)![1])
          .sort(),
        ['1', '2', '2', '3'],
        'part 2 was sent twice, the others once',
      );
      const body = await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'retried.mp4' }))).Body!.transformToByteArray();
      assert.equal(sha256(body), sha256(data));
      assert.equal(await unfinishedUploads(bucket), 0);
    } finally {
      store.close();
      await proxy.close();
    }
  });

  test('a part the store keeps failing fails the upload with the store error and aborts it: no object, no unfinished upload', async () => {
    const bucket = 'part-fails';
    const proxy = await startFaultProxy(s3.endpoint, isPart(2));
    const store = new S3Store(storeConfig(bucket, 5 * MiB, 2, proxy.endpoint));
    try {
      await store.init();
      const bytes = 12 * MiB;
      const { path } = file('failing.bin', bytes);
      await assert.rejects(
        store.put({
          key: 'failing.mp4',
          path,
          size: bytes,
          contentType: 'video/mp4',
          metadata: {},
          digests: await fileDigests(path, store.partSize),
          signal: AbortSignal.timeout(60_000),
        }),
        (err: unknown) => err instanceof StoreError && /failing\.mp4/.test(err.message) && /InternalError|injected/.test(err.message),
      );
      assert.equal(proxy.seen.filter((l) => isPart(2)({ method: l.split(' ')[0], url: l.split(' ')[1] })).length, 3, 'three tries of part 2');
      assert.ok(
        proxy.seen.some((l) => l.startsWith('DELETE ') && l.includes('uploadId=')),
        'AbortMultipartUpload was sent',
      );
      await assert.rejects(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'failing.mp4' })), /NotFound|UnknownError/);
      assert.equal(await unfinishedUploads(bucket), 0);
    } finally {
      store.close();
      await proxy.close();
    }
  });
});

async function counter(metrics: Metrics, name: string): Promise<number> {
  return (await metrics.registry.getSingleMetric(name)!.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/** A fragmented MP4 of ~18 MiB (noise does not compress): ffprobe reads it, and it spans 4 parts of 5 MiB. */
function bigSegment(path: string): Buffer {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=15:duration=2',
    '-vf', 'noise=alls=80:allf=t', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-g', '15', '-pix_fmt', 'yuv420p',
    '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', path]);
  return readFileSync(path);
}

describe('verification against the store', () => {
  const isPartRequest = (req: { url?: string }): boolean => req.url?.includes('partNumber=') ?? false;
  for (const [layout, partSize, damaged] of [
    ['one PutObject', 64 * MiB, (req: { method?: string; url?: string }) => req.method === 'PUT' && !isPartRequest(req)],
    ['multipart, part 3 damaged', 5 * MiB, (req: { method?: string; url?: string }) => req.method === 'PUT' && /[?&]partNumber=3(&|$)/.test(req.url ?? '')],
  ] as const) {
    test(`${layout}: a byte flipped on the way (same size) is refused by RGW, nothing is stored, the segment stays; once the bytes arrive whole the object is the file byte for byte`, async (t) => {
      const bucket = `corrupt-${partSize}`;
      let corrupting = true;
      const proxy = await startFaultProxy(s3.endpoint, () => false, { corrupt: (req) => corrupting && damaged(req) });
      const store = new S3Store(storeConfig(bucket, partSize, 2, proxy.endpoint));
      const tempDir = mkdtempSync(join(tmpdir(), 'corrupt-'));
      mkdirSync(join(tempDir, 'camera-1'));
      const path = join(tempDir, 'camera-1', '20251214-013000.mp4');
      const data = bigSegment(path);
      const metrics = createMetrics();
      const uploader = new Uploader({
        store,
        health: new StoreHealth(systemClock),
        log: createLogger('silent', new Redactor()),
        metrics,
        clock: systemClock,
        settings: {
          concurrency: 1,
          attemptTimeoutMs: 60_000,
          retryInitialMs: 50,
          retryMaxMs: 200,
          ffprobePath: 'ffprobe',
          quarantineDir: join(tempDir, '.quarantine'),
        },
      });
      t.after(async () => {
        await uploader.stop(0);
        store.close();
        await proxy.close();
      });
      await store.init();
      const key = 'camera-1/20251214/013000_camera-1.mp4';
      await uploader.enqueue({ cameraId: 'camera-1', path, startMs: Date.UTC(2025, 11, 14, 1, 30, 0), listedDurationSec: 2 });
      // two failed attempts, or the file gone (a verification that cannot fail)
      while ((await counter(metrics, 'camera_upload_failures_total')) < 2 && existsSync(path)) await systemClock.sleep(20);
      assert.ok(existsSync(path), 'the segment is kept on disk');
      assert.ok(proxy.corrupted.length >= 2, `damaged requests: ${proxy.corrupted.length}`);
      assert.ok((await counter(metrics, 'camera_upload_verification_failures_total')) >= 2, 'counted as verification failures');
      await assert.rejects(client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), /NotFound|UnknownError/, 'nothing stored');
      assert.equal(await unfinishedUploads(bucket), 0, 'no parts left behind');

      corrupting = false;
      await uploader.onIdle();
      assert.equal(existsSync(path), false, 'deleted once stored and verified');
      const body = await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray();
      assert.equal(body.length, data.length);
      assert.ok(Buffer.from(body).equals(data), 'the stored object is the file byte for byte');
      assert.equal(await counter(metrics, 'camera_segments_uploaded_total'), 1);
    });
  }
});

// The S3 store against a real Ceph RGW: files larger than a part go up as multipart uploads of file
// ranges, byte for byte; a part the store fails once is sent again; an aborted or failed upload
// leaves neither an object nor an unfinished upload behind.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../src/config/schema.ts';
import { StoreError } from '../../src/errors.ts';
import { S3Store } from '../../src/storage/s3-store.ts';
import { startFaultProxy } from '../support/fault-proxy.ts';
import { s3Client, startS3Server, type S3Server } from '../support/s3-server.ts';

const MiB = 2 ** 20;
let s3: S3Server;
let client: S3Client;
let dir: string;

function storeConfig(bucket: string, partSize: number, partConcurrency: number, endpoint = s3.endpoint): Config['s3'] {
  return {
    endpoint, region: s3.region, bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true, createBucket: true, connectTimeoutMs: 3000, requestTimeoutMs: 30_000, partSize, partConcurrency,
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
  for (const [what, bytes] of [['a file larger than a part (multipart, 3 parts at once)', 23 * MiB + 12345], ['a file of at most one part (one PutObject)', 5 * MiB]] as const) {
    test(`${what} is stored byte for byte with its metadata`, async () => {
      const bucket = `parts-${bytes}`;
      const store = new S3Store(storeConfig(bucket, 5 * MiB, 3));
      await store.init();
      const { path, data } = file(`f-${bytes}.bin`, bytes);
      const metadata = { sha256: sha256(data), camera: 'camera-1' };
      await store.put({ key: 'a/b.mp4', path, size: bytes, contentType: 'video/mp4', metadata, signal: AbortSignal.timeout(60_000) });
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/b.mp4' }));
      const body = await got.Body!.transformToByteArray();
      assert.equal(body.length, bytes);
      assert.equal(sha256(body), metadata.sha256);
      assert.deepEqual(got.Metadata, metadata);
      assert.equal(got.ContentType, 'video/mp4');
      assert.deepEqual(await store.head('a/b.mp4'), { size: bytes, metadata });
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
    const put = store.put({ key: 'big.mp4', path, size: bytes, contentType: 'video/mp4', metadata: {}, signal: abort.signal });
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

  const isPart = (n: number) => (req: { method?: string; url?: string }): boolean => req.method === 'PUT' && new URLSearchParams(req.url?.split('?')[1]).get('partNumber') === String(n);

  test('a part the store fails once is sent again and the upload completes byte for byte', async () => {
    const bucket = 'part-retry';
    let failures = 0;
    const proxy = await startFaultProxy(s3.endpoint, (req) => isPart(2)(req) && failures++ === 0);
    const store = new S3Store(storeConfig(bucket, 5 * MiB, 2, proxy.endpoint));
    try {
      await store.init();
      const bytes = 12 * MiB + 7;
      const { path, data } = file('retried.bin', bytes);
      await store.put({ key: 'retried.mp4', path, size: bytes, contentType: 'video/mp4', metadata: { sha256: sha256(data) }, signal: AbortSignal.timeout(60_000) });
      assert.deepEqual(proxy.seen.filter((l) => l.startsWith('PUT ') && l.includes('partNumber=')).map((l) => /partNumber=(\d+)/.exec(l)![1]).sort(), ['1', '2', '2', '3'], 'part 2 was sent twice, the others once');
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
        store.put({ key: 'failing.mp4', path, size: bytes, contentType: 'video/mp4', metadata: {}, signal: AbortSignal.timeout(60_000) }),
        (err: unknown) => err instanceof StoreError && /failing\.mp4/.test(err.message) && /InternalError|injected/.test(err.message),
      );
      assert.equal(proxy.seen.filter((l) => isPart(2)({ method: l.split(' ')[0], url: l.split(' ')[1] })).length, 3, 'three tries of part 2');
      assert.ok(proxy.seen.some((l) => l.startsWith('DELETE ') && l.includes('uploadId=')), 'AbortMultipartUpload was sent');
      await assert.rejects(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'failing.mp4' })), /NotFound|UnknownError/);
      assert.equal(await unfinishedUploads(bucket), 0);
    } finally {
      store.close();
      await proxy.close();
    }
  });
});

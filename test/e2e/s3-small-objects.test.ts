// Small objects from memory (camera records) against a real Ceph RGW: stored byte for byte with
// their Content-MD5, refused when damaged on the way, deleted (and deleting twice succeeds).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CameraRecords } from '../../src/camera/camera-records.ts';
import { createLogger } from '../../src/logger.ts';
import { Redactor } from '../../src/redact.ts';
import { StoreError } from '../../src/errors.ts';
import { S3Store } from '../../src/storage/s3-store.ts';
import { startFaultProxy } from '../support/fault-proxy.ts';
import { s3Client, startS3Server, type S3Server } from '../support/s3-server.ts';

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

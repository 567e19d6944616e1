// The digests the store checks and reports, taken in one read of a real file, against node:crypto
// over the same bytes: sha256 of the whole, MD5 per part at the store's boundaries, the ETag S3
// gives a single PUT and a multipart upload, and the check that decides whether a file may go.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { StoreError } from '../../src/errors.ts';
import { bareEtag, etagIsMd5, expectedEtag, verifyStored } from '../../src/storage/etag.ts';
import { fileDigests, partCount } from '../../src/storage/hash.ts';
import { storeFile } from '../../src/storage/store-file.ts';
import { MemoryStore } from '../support/memory-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'digests-'));
const md5 = (b: Uint8Array): Buffer => createHash('md5').update(b).digest();
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function file(name: string, bytes: number): { path: string; data: Buffer } {
  const data = randomBytes(bytes);
  const path = join(dir, name);
  writeFileSync(path, data);
  return { path, data };
}

describe('file digests', () => {
  const MiB = 2 ** 20;
  // part sizes that fall inside, at and across the 1 MiB reads of the file stream
  for (const [what, bytes, partSize] of [
    ['one part (a single PUT)', 3 * MiB + 5, 8 * MiB],
    ['exactly one part', 2 * MiB, 2 * MiB],
    ['parts that end inside a read', 5 * MiB + 17, 1.5 * MiB],
    ['parts that end on read boundaries, the last one full', 6 * MiB, 2 * MiB],
    ['parts smaller than a read', 1 * MiB + 3, 100_000],
    ['a whole-object store (no parts)', 3 * MiB + 1, Number.POSITIVE_INFINITY],
  ] as const) {
    test(`${what}: sha256 of the file and the MD5 of each part, as node:crypto computes them`, async () => {
      const { path, data } = file(`f-${bytes}-${partSize}`, bytes);
      const d = await fileDigests(path, partSize);
      assert.equal(d.size, bytes);
      assert.equal(d.sha256, sha256(data));
      const count = partCount(bytes, partSize);
      assert.equal(d.partMd5s.length, count);
      const parts = count === 1 ? [data] : Array.from({ length: count }, (_, i) => data.subarray(i * partSize, (i + 1) * partSize));
      assert.deepEqual(d.partMd5s, parts.map(md5));
      assert.equal(
        parts.reduce((s, p) => s + p.length, 0),
        bytes,
        'the parts tile the file',
      );
    });
  }

  test('an empty file is one part with the MD5 of nothing', async () => {
    const { path } = file('empty', 0);
    const d = await fileDigests(path, 1024);
    assert.deepEqual(d.partMd5s, [md5(Buffer.alloc(0))]);
    assert.equal(expectedEtag(d), 'd41d8cd98f00b204e9800998ecf8427e');
  });

  test('the ETag S3 gives: hex MD5 for one PUT; md5 of the binary part MD5s, "-", part count for multipart', async () => {
    const { path, data } = file('etag', 5 * 1024 + 100);
    const single = await fileDigests(path, 10_000);
    assert.equal(expectedEtag(single), md5(data).toString('hex'));
    const multi = await fileDigests(path, 2048);
    const parts = [data.subarray(0, 2048), data.subarray(2048, 4096), data.subarray(4096)];
    assert.equal(expectedEtag(multi), `${md5(Buffer.concat(parts.map(md5))).toString('hex')}-3`);
  });

  test('ETags are compared without quotes; those of SSE-KMS or SSE-C objects, or not shaped like an MD5, are not compared', () => {
    assert.equal(bareEtag('"9B2CF535F27731C974343645A3985328"'), '9b2cf535f27731c974343645a3985328');
    assert.equal(bareEtag('W/"abc"'), 'abc');
    assert.equal(etagIsMd5('9b2cf535f27731c974343645a3985328'), true);
    assert.equal(etagIsMd5('9b2cf535f27731c974343645a3985328-12'), true);
    assert.equal(etagIsMd5('9b2cf535f27731c974343645a3985328', { sse: 'aws:kms' }), false);
    assert.equal(etagIsMd5('9b2cf535f27731c974343645a3985328', { sse: 'AES256' }), true);
    assert.equal(etagIsMd5('9b2cf535f27731c974343645a3985328', { customerKey: true }), false);
    assert.equal(etagIsMd5('1700000000123'), false);
    assert.equal(etagIsMd5(undefined), false);
  });

  test("verification fails on another size or another ETag, passes on the file's, and leans on the store's Content-MD5 check where the ETag is no MD5", async () => {
    const { path } = file('verify', 4096);
    const d = await fileDigests(path, 1000);
    const ok = { size: 4096, metadata: {}, etag: expectedEtag(d), etagIsMd5: true };
    verifyStored('k', ok, d);
    const mismatch = (e: unknown): boolean => e instanceof StoreError && e.kind === 'mismatch' && /verification failed for k/.test(e.message);
    assert.throws(() => verifyStored('k', undefined, d), mismatch);
    assert.throws(() => verifyStored('k', { ...ok, size: 4095 }, d), mismatch);
    assert.throws(() => verifyStored('k', { ...ok, etag: `${'0'.repeat(32)}-5` }, d), mismatch);
    assert.throws(() => verifyStored('k', { ...ok, etag: undefined }, d), mismatch);
    verifyStored('k', { ...ok, etag: 'kms-etag', etagIsMd5: false }, d);
  });
});

test('a file stored through storeFile (event clips) fails when the store keeps other bytes of the same size, and is stored byte for byte otherwise', async () => {
  const { path, data } = file('clip', 70_000);
  const store = new MemoryStore({ partSize: 30_000 });
  const input = { key: 'events/c/clip.mp4', path, contentType: 'video/mp4', metadata: {}, signal: AbortSignal.timeout(10_000) };
  store.corruptStored = true;
  await assert.rejects(storeFile(store, input), (err: unknown) => err instanceof StoreError && err.kind === 'mismatch' && /ETag/.test(err.message));
  store.corruptStored = false;
  await storeFile(store, input);
  assert.deepEqual(store.objects.get('events/c/clip.mp4')?.bytes, data);
});

// The filesystem store checks what it writes as an S3 store checks what it receives: the MD5 of
// the bytes written must be the caller's, else nothing is stored; HEAD answers the ETag of the
// bytes it wrote.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StoreError } from '../../src/errors.ts';
import { FilesystemStore } from '../../src/storage/fs-store.ts';
import { fileDigests } from '../../src/storage/hash.ts';

test("the filesystem store refuses bytes whose MD5 is not the caller's, and answers HEAD with the MD5 of what it wrote", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-verify-'));
  const root = join(dir, 'store');
  const store = new FilesystemStore(root);
  await store.init();
  const path = join(dir, 'seg.mp4');
  const data = randomBytes(300_000);
  writeFileSync(path, data);
  const digests = await fileDigests(path, store.partSize);
  const put = (key: string) =>
    store.put({ key, path, size: data.length, contentType: 'video/mp4', metadata: { camera: 'c' }, digests, signal: AbortSignal.timeout(10_000) });

  // the file changed after it was hashed, same size: what would be written is not what was hashed
  const changed = Buffer.from(data);
  changed[1234] = (changed[1234] as number) ^ 1;
  writeFileSync(path, changed);
  await assert.rejects(put('c/bad.mp4'), (err: unknown) => err instanceof StoreError && err.kind === 'mismatch' && /refused/.test(err.message));
  assert.equal(await store.head('c/bad.mp4'), undefined, 'nothing stored');
  assert.deepEqual(readdirSync(join(root, 'c')), [], 'no temp file left');

  writeFileSync(path, data);
  await put('c/good.mp4');
  const head = await store.head('c/good.mp4');
  assert.equal(head?.etag, createHash('md5').update(data).digest('hex'));
  assert.equal(head?.etagIsMd5, true);
  assert.equal(head?.size, data.length);
  assert.ok(existsSync(join(root, 'c', 'good.mp4')));
});

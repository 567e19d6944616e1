// The filesystem store on a read-only mount (a tmpfs mounted ro: root may write anywhere else).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { StoreError } from '../../src/errors.ts';
import { FilesystemStore } from '../../src/storage/fs-store.ts';
import { fileDigests } from '../../src/storage/hash.ts';

let readOnly: string;
before(() => {
  readOnly = mkdtempSync(join(tmpdir(), 'fs-store-ro-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnly]);
});
after(() => {
  execFileSync('umount', ['-l', readOnly]);
});

const deniedOn =
  (action: RegExp) =>
  (err: unknown): boolean =>
    err instanceof StoreError &&
    err.kind === 'auth' &&
    action.test(err.message) &&
    /permission denied \(EROFS\); make FILESYSTEM_ROOT .+ writable by the service's user/.test(err.message);

test('a read-only root that exists fails init and check as permission denied', async () => {
  const store = new FilesystemStore(readOnly);
  await assert.rejects(store.init(), deniedOn(/^write in /));
  await assert.rejects(store.check(), deniedOn(/^write in /));
});

test('a root to be created under a read-only directory is permission denied, not missing, in init and in put', async () => {
  const store = new FilesystemStore(join(readOnly, 'recordings'));
  await assert.rejects(store.init(), deniedOn(/^create /));
  const file = join(mkdtempSync(join(tmpdir(), 'fs-store-src-')), 'x.mp4');
  writeFileSync(file, 'x');
  const digests = await fileDigests(file, store.partSize);
  await assert.rejects(
    store.put({
      key: 'camera-1/20251214/140000_camera-1.mp4',
      path: file,
      size: 1,
      contentType: 'video/mp4',
      metadata: {},
      digests,
      signal: AbortSignal.timeout(10_000),
    }),
    deniedOn(/^write camera-1/),
  );
});

test('a writable root passes init and check and leaves no probe file behind', async () => {
  const root = mkdtempSync(join(tmpdir(), 'fs-store-rw-'));
  const store = new FilesystemStore(root);
  await store.init();
  await store.check();
  assert.deepEqual(await store.list(''), []);
  assert.deepEqual(readdirSync(root), []);
});

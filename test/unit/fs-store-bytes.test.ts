// The filesystem store's small objects (camera records, snapshots): written whole with their ETag and metadata, listed,
// deleted with their metadata; deleting what is not there succeeds.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FilesystemStore, META_SUFFIX } from '../../src/storage/fs-store.ts';

test('a buffer is stored whole with the MD5 ETag an S3 store would give, and deleted with its metadata', async () => {
  const root = mkdtempSync(join(tmpdir(), 'fs-bytes-'));
  const store = new FilesystemStore(root);
  await store.init();
  const body = Buffer.from('{"id":"cam-1"}\n');
  await store.putBytes({ key: '_cameras/cam-1.json', body, contentType: 'application/json' });
  assert.deepEqual(readFileSync(join(root, '_cameras', 'cam-1.json')), body);
  const head = await store.head('_cameras/cam-1.json');
  assert.equal(head?.etag, createHash('md5').update(body).digest('hex'));
  assert.deepEqual(await store.list('_cameras/'), ['_cameras/cam-1.json']);
  await store.delete('_cameras/cam-1.json');
  assert.equal(existsSync(join(root, '_cameras', 'cam-1.json')), false);
  assert.equal(existsSync(join(root, '_cameras', `cam-1.json${META_SUFFIX}`)), false);
  assert.deepEqual(await store.list('_cameras/'), []);
  await store.delete('_cameras/never-there.json');
});

test('a buffer is stored with the metadata it is given (a snapshot), and head returns it', async () => {
  const store = new FilesystemStore(mkdtempSync(join(tmpdir(), 'fs-bytes-')));
  await store.init();
  const metadata = { camera: 'cam-1', reason: 'black', 'captured-at': '2026-12-01T09:05:07.123Z' };
  await store.putBytes({ key: 'snapshots/cam-1/20261201/090507_black.jpg', body: Buffer.from([0xff, 0xd8, 0xff, 0xd9]), contentType: 'image/jpeg', metadata });
  assert.deepEqual((await store.head('snapshots/cam-1/20261201/090507_black.jpg'))?.metadata, metadata);
});

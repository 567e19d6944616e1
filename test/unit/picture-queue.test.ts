// The queue in front of a push camera's ffmpeg: a picture nobody takes is refused at its deadline
// (the sender is never held), one taken after its deadline is not answered twice, a full queue
// refuses at once, and every picture is counted exactly once by how it ended.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_QUEUED, PictureQueue } from '../../src/ingest/picture-queue.ts';
import { PushRefused } from '../../src/ingest/push-refused.ts';

const picture = (n: number) => ({ frame: { jpeg: Buffer.from([n]), capturedAtMs: n }, arrivedMs: n, size: { width: 2, height: 2 } });

test('a picture not taken by its deadline is refused as unavailable and leaves the queue; taking it later answers nobody twice', async () => {
  const results: string[] = [];
  const queue = new PictureQueue((r) => results.push(r), 30);
  const first = picture(1);
  const waiting = queue.add(first);
  await assert.rejects(waiting, (err) => err instanceof PushRefused && err.kind === 'unavailable' && /within 0.03 s/.test(err.message));
  assert.equal(queue.length, 0);
  queue.taken(first);
  assert.deepEqual(results, ['unavailable']);
});

test('taken pictures resolve in order; a full queue refuses at once; refuseAll answers every waiting sender', async () => {
  const results: string[] = [];
  const queue = new PictureQueue((r) => results.push(r), 60_000);
  const pictures = Array.from({ length: MAX_QUEUED }, (_, i) => picture(i));
  const answers = pictures.map((p) => queue.add(p));
  assert.throws(
    () => queue.add(picture(99)),
    (err) => err instanceof PushRefused && err.kind === 'unavailable',
  );
  queue.taken(queue.head!);
  queue.taken(queue.head!);
  await Promise.all(answers.slice(0, 2));
  queue.refuseAll('the camera is being stopped');
  const rest = await Promise.allSettled(answers.slice(2));
  assert.ok(rest.every((r) => r.status === 'rejected' && (r.reason as PushRefused).message === 'the camera is being stopped'));
  assert.equal(queue.length, 0);
  assert.deepEqual(results, ['taken', 'taken', ...Array(MAX_QUEUED - 2).fill('unavailable')]);
});

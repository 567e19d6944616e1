import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Outbox } from '../../../src/events/outbox.ts';

test('a full outbox drops its oldest item for the newest, counts it, and keeps the order of the rest', () => {
  const drops: number[] = [];
  const box = new Outbox<number>({ capacity: 3, onDrop: (n) => drops.push(n) });
  for (let i = 1; i <= 5; i++) box.push(i);
  assert.equal(box.size, 3);
  assert.equal(box.dropped, 2);
  assert.deepEqual(drops, [1, 1]);
  assert.deepEqual([box.shift(), box.shift(), box.shift(), box.shift()], [3, 4, 5, undefined]);
  box.push(6);
  assert.equal(box.peek(), 6);
});

test('waitForItem resolves when an item arrives, and at once when aborted', async () => {
  const box = new Outbox<string>({ capacity: 2 });
  const waiting = box.waitForItem();
  setImmediate(() => box.push('a'));
  await waiting;
  assert.equal(box.shift(), 'a');
  const stop = new AbortController();
  const aborted = box.waitForItem(stop.signal);
  stop.abort();
  await aborted;
  assert.equal(box.size, 0);
});

test('a capacity that is not a positive integer is refused, naming the value', () => {
  assert.throws(() => new Outbox({ capacity: 0 }), /capacity must be an integer of 1 or more, got 0/);
});

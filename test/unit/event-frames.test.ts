// Where evidence frames fall: pure arithmetic on wall-clock times, and their place in a clip that
// joined segments across a gap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clipPosition, frameAt, frameTimes } from '../../src/clips/event-frames.ts';

test('spread frames take the middle of equal slices of the window; before frames one a second up to at, closer when pre_seconds is short', () => {
  assert.deepEqual(frameTimes('spread', 4, 10_000, 0, 20_000), [2500, 7500, 12_500, 17_500]);
  assert.deepEqual(frameTimes('spread', 1, 10_000, 0, 20_000), [10_000]);
  assert.deepEqual(frameTimes('before', 3, 10_000, 0, 20_000), [8000, 9000, 10_000]);
  assert.deepEqual(frameTimes('before', 5, 10_000, 8000, 20_000), [8000, 8500, 9000, 9500, 10_000]);
  assert.deepEqual(frameTimes('before', 1, 10_000, 8000, 20_000), [10_000]);
  assert.deepEqual(frameTimes('spread', 0, 10_000, 0, 20_000), []);
});

test('a wall time maps into a clip joined across a gap: footage after the gap follows on, a time in the gap takes the first picture after it', () => {
  const pieces = [
    { fromMs: 1000, toMs: 5000 },
    { fromMs: 9000, toMs: 12_000 },
  ];
  assert.deepEqual(clipPosition(pieces, 3000), { offsetSec: 2, atMs: 3000 });
  assert.deepEqual(clipPosition(pieces, 10_000), { offsetSec: 5, atMs: 10_000 });
  assert.deepEqual(clipPosition(pieces, 7000), { offsetSec: 4, atMs: 9000 });
  assert.deepEqual(clipPosition(pieces, 500), { offsetSec: 0, atMs: 1000 });
  assert.deepEqual(clipPosition(pieces, 13_000), { offsetSec: 7, atMs: 12_000 });
});

test('the frame on screen at a moment is the last at or before it', () => {
  const frames = [0.04, 0.08, 0.12, 0.16];
  assert.equal(frameAt(frames, 0.1), 0.08);
  assert.equal(frameAt(frames, 0.12), 0.12);
  assert.equal(frameAt(frames, 0), 0.04);
  assert.equal(frameAt(frames, 9), 0.16);
});

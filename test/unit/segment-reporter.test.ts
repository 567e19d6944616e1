// Segment names never repeat across the recorders of one camera (a new URL, enabled again, removed
// and added again): the new recorder is told the second its predecessor stopped in, whose segments
// may already be uploaded and gone from the folder, and opens no segment in it.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { SegmentReporter } from '../../src/camera/segment-reporter.ts';
import type { Clock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { Redactor } from '../../src/redact.ts';

const SECOND = Date.UTC(2026, 0, 1, 12, 0, 0);

function reporter(newestNameMs: number | undefined) {
  const sleeps: number[] = [];
  const clock: Clock = { now: () => SECOND + 300, sleep: async (ms) => void sleeps.push(ms) };
  const log = createLogger('info', new Redactor(), new Writable({ write: (_c, _e, done) => done() }));
  const r = new SegmentReporter({
    cameraId: 'cam',
    dir: mkdtempSync(join(tmpdir(), 'reporter-')),
    segmentDurationMs: 10_000,
    log,
    metrics: createMetrics(),
    clock,
    onSegment: () => undefined,
    newestNameMs,
  });
  return { r, sleeps };
}

test('a recorder told the second its predecessor stopped in starts no segment in it, even with the folder empty', async () => {
  const told = reporter(SECOND);
  await told.r.waitForFreshName(new AbortController().signal);
  assert.deepEqual(told.sleeps, [700], 'waits until the clock has left that second');
  const first = reporter(undefined);
  await first.r.waitForFreshName(new AbortController().signal);
  assert.deepEqual(first.sleeps, [], 'the first recorder of a camera does not wait');
});

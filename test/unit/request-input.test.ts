import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClipError } from '../../src/clips/clip-error.ts';
import { parseEventRequest } from '../../src/clips/event-request.ts';
import { parseInstant } from '../../src/clips/instant.ts';
import { decodeComponent, HttpError, queryParam } from '../../src/http/request-input.ts';

const T = Date.UTC(2025, 11, 14, 14, 0, 0);

test('a +hh:mm offset whose + arrived as a space (an unencoded query) is read as +hh:mm', () => {
  assert.equal(parseInstant('2025-12-14T15:00:00 01:00', 'from'), T);
  assert.equal(parseInstant('2025-12-14T15:00:00.250 0100', 'from'), T + 250);
  assert.equal(parseInstant('2025-12-14T15:00 01:00', 'from'), T);
  const url = new URL('http://localhost/api/cameras/camera-1/segments?from=2025-12-14T15:00:00+01:00');
  assert.equal(parseInstant(queryParam(url, 'from'), 'from'), T);
  assert.throws(
    () => parseInstant('2025-12-14T15:00:00 25', 'from'),
    (e: ClipError) => e.field === 'from',
  );
  assert.throws(
    () => parseInstant('2025-12-14 15:00:00 01:00', 'from'),
    (e: ClipError) => e.field === 'from',
  );
});

test('bad percent-encoding is a 400 naming the parameter, not a replacement character', () => {
  const url = new URL('http://localhost/api/cameras/camera-1/clip?to=2025-12-14T15%3A00%3A00Z&from=%E0%A4%A');
  assert.equal(queryParam(url, 'to'), '2025-12-14T15:00:00Z');
  assert.equal(queryParam(url, 'missing'), undefined);
  assert.throws(
    () => queryParam(url, 'from'),
    (e: HttpError) => e instanceof HttpError && e.status === 400 && e.field === 'from' && /percent-encoding/.test(e.message),
  );
  assert.throws(
    () => decodeComponent('%E0%A4%A', 'camera'),
    (e: HttpError) => e.status === 400 && e.field === 'camera',
  );
});

test('event metadata nested 20,000 levels deep is refused naming metadata, without overflowing the stack', () => {
  const depth = 20_000;
  const metadata = JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) as unknown;
  const limits = {
    cameras: new Set(['camera-1']),
    preSeconds: 10,
    postSeconds: 10,
    maxSeconds: 300,
    metadataMaxBytes: 1 << 20,
    framesDefault: 0,
    framesMax: 16,
    now: T,
  };
  assert.throws(
    () => parseEventRequest({ camera: 'camera-1', metadata }, limits),
    (e: ClipError) => e.name === 'ClipError' && e.field === 'metadata' && /levels deep/.test(e.message),
  );
  const fine = JSON.parse(`${'['.repeat(32)}${']'.repeat(32)}`) as unknown;
  assert.deepEqual(parseEventRequest({ camera: 'camera-1', metadata: fine }, limits).metadata, fine);
});

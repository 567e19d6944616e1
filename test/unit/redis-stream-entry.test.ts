// Reading one Redis stream entry into a frame: the capture time from meta in the forms producers
// write it, and what makes an entry no frame at all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metaTime, parseEntry } from '../../src/ingest/redis-stream-entry.ts';
import { JPEG } from '../support/redis-stream-fixtures.ts';

const AT = Date.UTC(2026, 5, 1, 12, 0, 0, 250);
const fields = (entries: Record<string, string | Buffer>): Map<string, Buffer> =>
  new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)]));

test('meta gives the capture time as epoch seconds, ms, µs or ns, as a number or a numeric string, or ISO 8601', () => {
  for (const value of [AT / 1000, AT, AT * 1000, `${AT * 1e6}`, `${AT / 1000}`, new Date(AT).toISOString(), '2026-06-01T14:00:00.250+02:00']) {
    for (const field of ['captured_at', 'timestamp', 'ts']) {
      assert.deepEqual(metaTime(JSON.stringify({ [field]: value, camera: 'x' })), { ms: AT }, `${field} = ${value}`);
    }
  }
  assert.deepEqual(metaTime(JSON.stringify({ captured_at: AT, ts: 5 })), { ms: AT }, 'captured_at is looked at first');
  assert.deepEqual(metaTime('{"camera":"x","ts":null}'), { ms: undefined });
});

test('a capture time that is no time, or far outside 2000-2100, is a bad meta that names the field', () => {
  for (const value of ['yesterday', -5, 0, 4102444800, '2026-13-01T00:00:00Z', true]) {
    const got = metaTime(JSON.stringify({ ts: value }));
    assert.ok('problem' in got && got.problem.startsWith(`meta.ts = ${JSON.stringify(value)} is not a capture time`), `${value}: ${JSON.stringify(got)}`);
  }
  assert.deepEqual(metaTime('[1]'), { problem: '"meta" is not a JSON object' });
});

test('an entry is a frame with its JPEG and capture time; without a time in meta it is when Redis added it, else when it was read', () => {
  assert.deepEqual(parseEntry('1780000000123-4', fields({ jpeg: JPEG }), AT), { ok: true, frame: { jpeg: JPEG, capturedAtMs: 1780000000123 } });
  const padded = Buffer.concat([JPEG, Buffer.alloc(16)]);
  const got = parseEntry('1-0', fields({ jpeg: padded, meta: JSON.stringify({ ts: AT }) }), 0);
  assert.ok(got.ok && got.frame.jpeg.equals(JPEG) && got.frame.capturedAtMs === AT, 'padding after the picture is cut off');
  const own = parseEntry('5-0', fields({ jpeg: JPEG, meta: '{"camera":"x"}' }), AT);
  assert.ok(own.ok && own.frame.capturedAtMs === AT, 'an id the producer chose is no time: the frame is timed when it was read');
});

test('no jpeg field, a cut or foreign picture, unreadable meta, an entry deleted from the stream: each is a problem with what is wrong', () => {
  const problem = (f: Map<string, Buffer> | null): string => {
    const got = parseEntry('1-0', f, AT);
    return got.ok ? 'a frame' : `${got.problem}: ${got.detail}`;
  };
  assert.equal(problem(fields({ image: JPEG })), 'no-jpeg: no "jpeg" field (fields: image)');
  assert.equal(
    problem(fields({ jpeg: JPEG.subarray(0, JPEG.length - 100) })),
    `not-jpeg: the "jpeg" field (${JPEG.length - 100} bytes) is not a complete JPEG`,
  );
  assert.match(problem(fields({ jpeg: Buffer.from('\x89PNG\r\n') })), /^not-jpeg: /);
  assert.match(problem(fields({ jpeg: JPEG, meta: 'ts=5' })), /^bad-meta: "meta" is not JSON/);
  assert.match(problem(null), /^gone: the entry was deleted from the stream/);
});

import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { objectKey, startFromFileName } from '../../src/camera/segment-name.ts';
import { backoffDelay } from '../../src/camera/backoff.ts';
import { parseDuration, parseSize } from '../../src/config/units.ts';
import { parseLine, SegmentListReader } from '../../src/camera/segment-list.ts';
import { ProgressParser } from '../../src/camera/progress.ts';
import { TailBuffer } from '../../src/camera/tail-buffer.ts';

test('object keys are {camera}/{YYYYMMDD}/{HHMMSS}_{camera}.mp4 in UTC', () => {
  assert.equal(objectKey('camera-1', Date.UTC(2025, 11, 14, 1, 30, 0)), 'camera-1/20251214/013000_camera-1.mp4');
  assert.equal(objectKey('door', Date.UTC(2026, 0, 1, 23, 59, 59, 900)), 'door/20260101/235959_door.mp4');
});

test('local file names give the UTC start time back', () => {
  assert.equal(startFromFileName('20251214-013000.mp4'), Date.UTC(2025, 11, 14, 1, 30, 0));
  assert.equal(startFromFileName('20251214-013000.mp4.tmp'), undefined);
  assert.equal(startFromFileName('.segment-list'), undefined);
});

test('durations and sizes parse the documented forms', () => {
  assert.equal(parseDuration('10s'), 10_000);
  assert.equal(parseDuration('15m'), 900_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('900'), 900_000);
  assert.equal(parseDuration('15 minutes'), undefined);
  assert.equal(parseDuration('m'), undefined);
  assert.equal(parseSize('20GiB'), 20 * 2 ** 30);
  assert.equal(parseSize('500MB'), 500e6);
  assert.equal(parseSize('1048576'), 1048576);
  assert.equal(parseSize('lots'), undefined);
});

test('backoff doubles from the initial delay up to the cap, with jitter in the upper half', () => {
  const opts = { initialMs: 1000, maxMs: 30_000 };
  assert.equal(
    backoffDelay(0, opts, () => 0),
    500,
  );
  assert.equal(
    backoffDelay(0, opts, () => 1),
    1000,
  );
  assert.equal(
    backoffDelay(3, opts, () => 1),
    8000,
  );
  assert.equal(
    backoffDelay(10, opts, () => 1),
    30_000,
  );
  assert.equal(
    backoffDelay(10, opts, () => 0),
    15_000,
  );
  assert.equal(
    backoffDelay(5000, opts, () => 1),
    30_000,
  );
});

test('segment list lines give the segment name and its media duration', () => {
  assert.deepEqual(parseLine('20251214-013000.mp4,0.000000,10.000001'), { name: '20251214-013000.mp4', durationSec: 10.000001, first: false });
  assert.deepEqual(parseLine('"20251214-013000.mp4",1.5,4.0'), { name: '20251214-013000.mp4', durationSec: 2.5, first: false });
  assert.equal(parseLine('garbage'), undefined);
});

test('the first line of a segment list is marked: its duration can be absurd', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'list-'));
  const path = join(dir, 'segments.csv');
  // as ffmpeg wrote it for an RTSP source whose clock starts hours from 0
  writeFileSync(path, '20251214-013000.mp4,0.000000,18411.788021\n20251214-013030.mp4,18411.788021,18441.790000\n2025');
  const list = new SegmentListReader(path);
  assert.deepEqual(
    (await list.readNew()).map((e) => [e.name, e.first]),
    [
      ['20251214-013000.mp4', true],
      ['20251214-013030.mp4', false],
    ],
  );
  appendFileSync(path, '1214-013100.mp4,18441.790000,18471.8\n');
  assert.deepEqual(await list.readNew(), [{ name: '20251214-013100.mp4', durationSec: 30.01, first: false }]);
});

test('progress blocks are parsed across chunk boundaries', () => {
  const p = new ProgressParser();
  assert.deepEqual(p.push('frame=31\nout_time_us=17333'), []);
  assert.deepEqual(p.push('98\ntotal_size=N/A\nprogress=continue\nframe=61\n'), [{ frame: 31, outTimeUs: 1733398, ended: false }]);
  assert.deepEqual(p.push('out_time_us=3733398\nprogress=end\n'), [{ frame: 61, outTimeUs: 3733398, ended: true }]);
});

test('the stderr tail keeps only the last lines', () => {
  const t = new TailBuffer(3);
  t.push('a\nb\nc\n');
  t.push('d\ne');
  assert.deepEqual(t.lines(), ['c', 'd', 'e']);
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { before, describe, test } from 'node:test';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { Redactor } from '../../src/redact.ts';
import { StoreHealth } from '../../src/storage/store-health.ts';
import { plausibleDuration, preciseBounds } from '../../src/segment.ts';
import { Uploader } from '../../src/storage/uploader.ts';
import { makeSegment } from '../support/media.ts';
import { MemoryStore } from '../support/memory-store.ts';

const START = Date.UTC(2025, 11, 14, 1, 30, 0);
let fixture: Buffer;
before(() => {
  const dir = mkdtempSync(join(tmpdir(), 'seg-fixture-'));
  makeSegment(join(dir, 'f.mp4'), 2);
  fixture = readFileSync(join(dir, 'f.mp4'));
});

function setup(opts: { store?: MemoryStore; ffprobePath?: string; labelsOf?: (cameraId: string) => Record<string, string> } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'uploader-'));
  mkdirSync(join(dir, 'camera-1'));
  const store = opts.store ?? new MemoryStore();
  const metrics = createMetrics();
  const lines: string[] = [];
  const log = createLogger(
    'debug',
    new Redactor(),
    new Writable({
      write(c, _e, cb) {
        lines.push(String(c));
        cb();
      },
    }),
  );
  const uploader = new Uploader({
    store,
    health: new StoreHealth(systemClock),
    log,
    metrics,
    clock: systemClock,
    ...(opts.labelsOf ? { labelsOf: opts.labelsOf } : {}),
    settings: {
      concurrency: 2,
      attemptTimeoutMs: 10_000,
      retryInitialMs: 10,
      retryMaxMs: 40,
      ffprobePath: opts.ffprobePath ?? 'ffprobe',
      quarantineDir: join(dir, '.quarantine'),
    },
  });
  const segment = (minute: number, bytes: Buffer = fixture) => {
    const name = `20251214-01${String(30 + minute).padStart(2, '0')}00.mp4`;
    const path = join(dir, 'camera-1', name);
    writeFileSync(path, bytes);
    return { cameraId: 'camera-1', path, startMs: START + minute * 60_000, listedDurationSec: 2 };
  };
  return { dir, store, metrics, uploader, segment, lines, log };
}

async function value(metrics: Metrics, name: string, labels: Record<string, string> = { camera_id: 'camera-1' }): Promise<number> {
  const m = await metrics.registry.getSingleMetric(name)!.get();
  return m.values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((s, v) => s + v.value, 0);
}

describe('uploader', () => {
  test('stores the segment under its key with metadata, verifies it, then deletes the local file', async () => {
    const { store, metrics, uploader, segment } = setup();
    const seg = segment(0);
    await uploader.enqueue(seg);
    await uploader.onIdle();
    const obj = store.objects.get('camera-1/20251214/013000_camera-1.mp4');
    assert.ok(obj, 'object stored');
    assert.deepEqual(obj.bytes, fixture);
    assert.equal(obj.contentType, 'video/mp4');
    assert.equal(obj.metadata.sha256, createHash('sha256').update(fixture).digest('hex'));
    assert.equal(obj.metadata.camera, 'camera-1');
    assert.equal(obj.metadata.size, String(fixture.length));
    assert.equal(obj.metadata.start, '2025-12-14T01:30:00.000Z');
    assert.ok(Math.abs(Number(obj.metadata.duration) - 2) < 0.2, obj.metadata.duration);
    assert.equal(new Date(obj.metadata.end!).getTime() - START, Math.round(Number(obj.metadata.duration) * 1000));
    assert.equal(existsSync(seg.path), false);
    assert.equal(await value(metrics, 'camera_segments_uploaded_total'), 1);
    assert.equal(await value(metrics, 'camera_uploaded_bytes_total'), fixture.length);
  });

  test('a segment queued twice is stored once', async () => {
    const { store, uploader, segment } = setup();
    const seg = segment(0);
    await Promise.all([uploader.enqueue(seg), uploader.enqueue(seg)]);
    await uploader.onIdle();
    assert.equal(store.puts, 1);
  });

  test('while the store is down the segment stays on disk and failures are counted; it is stored once the store is back', async () => {
    const store = new MemoryStore();
    store.down = true;
    const { metrics, uploader, segment } = setup({ store });
    const seg = segment(0);
    await uploader.enqueue(seg);
    while ((await value(metrics, 'camera_upload_failures_total')) < 3) await systemClock.sleep(10);
    assert.ok(existsSync(seg.path));
    assert.equal(uploader.backlogByCamera().get('camera-1')?.segments, 1);
    store.down = false;
    await uploader.onIdle();
    assert.equal(existsSync(seg.path), false);
    assert.equal(store.objects.size, 1);
  });

  test('a segment is stored with the labels its camera had when the segment was handed over, not those of a later camera of that id', async () => {
    const store = new MemoryStore();
    store.down = true;
    let labels: Record<string, string> = { site: 'north' };
    const { metrics, uploader, segment } = setup({ store, labelsOf: () => labels });
    // two uploads retrying (the pool's two slots), the third waiting its turn in the queue
    for (const minute of [0, 1, 2]) await uploader.enqueue(segment(minute));
    while ((await value(metrics, 'camera_upload_failures_total')) < 2) await systemClock.sleep(10);
    labels = { site: 'south' }; // the camera removed and added again with other labels while its segments wait
    store.down = false;
    await uploader.onIdle();
    assert.deepEqual(
      [...store.objects.values()].map((o) => o.metadata['label-site']),
      ['north', 'north', 'north'],
    );
  });

  test('a stored object of the wrong size fails verification and the local file is kept', async () => {
    const store = new MemoryStore();
    store.truncate = true;
    const { metrics, uploader, segment, lines } = setup({ store });
    const seg = segment(0);
    await uploader.enqueue(seg);
    while ((await value(metrics, 'camera_upload_failures_total')) < 2) await systemClock.sleep(10);
    assert.ok(existsSync(seg.path));
    assert.equal(await value(metrics, 'camera_segments_uploaded_total'), 0);
    assert.ok(lines.some((l) => l.includes('verification failed')));
    store.truncate = false;
    await uploader.onIdle();
    assert.equal(existsSync(seg.path), false);
  });

  for (const [layout, partSize] of [
    ['one request', undefined],
    ['multipart', 40_000],
  ] as const) {
    test(`a store that keeps other bytes of the same size (${layout}): the file stays, the mismatch is counted and logged at warn, and it is stored once the store behaves`, async (t) => {
      const store = new MemoryStore({ partSize });
      store.corruptStored = true;
      const { metrics, uploader, segment, lines } = setup({ store });
      t.after(() => uploader.stop(0)); // a failed assertion must not leave it retrying
      if (partSize) assert.ok(fixture.length > 2 * partSize, 'the fixture spans several parts');
      const seg = segment(0);
      await uploader.enqueue(seg);
      // until two attempts failed, or the file is gone (verification that cannot fail)
      while ((await value(metrics, 'camera_upload_failures_total')) < 2 && existsSync(seg.path)) await systemClock.sleep(10);
      assert.ok(existsSync(seg.path), 'the local file is kept');
      assert.ok((await value(metrics, 'camera_upload_verification_failures_total')) >= 2, 'counted as verification failures');
      assert.equal(await value(metrics, 'camera_segments_uploaded_total'), 0);
      const warn = lines.map((l) => JSON.parse(l) as { level: string; msg: string; kind?: string; err?: string }).find((l) => l.kind === 'mismatch');
      assert.equal(warn?.level, 'warn');
      assert.match(warn?.err ?? '', /verification failed .*ETag/);
      store.corruptStored = false;
      await uploader.onIdle();
      assert.equal(existsSync(seg.path), false);
      assert.deepEqual(store.objects.get('camera-1/20251214/013000_camera-1.mp4')?.bytes, fixture);
      assert.ok(store.puts >= 3, `retried: ${store.puts} puts`);
    });
  }

  test("bytes changed on the way are refused by the store's Content-MD5 check: counted, the file stays, stored once they arrive whole", async (t) => {
    const store = new MemoryStore();
    store.corruptReceived = true;
    const { metrics, uploader, segment } = setup({ store });
    t.after(() => uploader.stop(0));
    const seg = segment(0);
    await uploader.enqueue(seg);
    while ((await value(metrics, 'camera_upload_failures_total')) < 2 && existsSync(seg.path)) await systemClock.sleep(10);
    assert.ok(existsSync(seg.path));
    assert.ok((await value(metrics, 'camera_upload_verification_failures_total')) >= 2, 'counted as verification failures');
    assert.equal(store.objects.size, 0, 'nothing stored');
    store.corruptReceived = false;
    await uploader.onIdle();
    assert.equal(existsSync(seg.path), false);
    assert.deepEqual(store.objects.get('camera-1/20251214/013000_camera-1.mp4')?.bytes, fixture);
  });

  test('an empty segment is quarantined, counted and never uploaded', async () => {
    const { dir, store, metrics, uploader, segment } = setup();
    const seg = segment(0, Buffer.alloc(0));
    await uploader.enqueue(seg);
    await uploader.onIdle();
    assert.equal(store.puts, 0);
    assert.ok(existsSync(join(dir, '.quarantine', 'camera-1', '20251214-013000.mp4')));
    assert.equal(await value(metrics, 'camera_segments_quarantined_total', { camera_id: 'camera-1', reason: 'empty' }), 1);
  });

  test('an unreadable segment is quarantined as unreadable', async () => {
    const { dir, store, metrics, uploader, segment } = setup();
    await uploader.enqueue(segment(0, Buffer.from('this is not an mp4 file at all')));
    await uploader.onIdle();
    assert.equal(store.puts, 0);
    assert.ok(existsSync(join(dir, '.quarantine', 'camera-1', '20251214-013000.mp4')));
    assert.equal(await value(metrics, 'camera_segments_quarantined_total', { camera_id: 'camera-1', reason: 'unreadable' }), 1);
  });

  test('a listed segment cut short is handed to ffprobe, logged, and stored (it plays up to its last fragment)', async () => {
    const { store, uploader, segment, lines } = setup();
    await uploader.enqueue(segment(0, fixture.subarray(0, fixture.length - 500)));
    await uploader.onIdle();
    const obj = store.objects.get('camera-1/20251214/013000_camera-1.mp4');
    assert.ok(obj, 'stored');
    assert.equal(obj.bytes.length, fixture.length - 500);
    const warn = lines.map((l) => JSON.parse(l) as { msg: string; why?: string }).find((l) => l.msg.startsWith('listed segment has an unexpected structure'));
    assert.match(warn?.why ?? '', /runs past the end of the file/);
  });

  test('a leftover segment (not listed: cut by a crash) is checked by ffprobe', async () => {
    const { store, uploader, segment } = setup({ ffprobePath: '/nonexistent/ffprobe' });
    const seg = { ...segment(0), listedDurationSec: undefined };
    await uploader.enqueue(seg);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(store.puts, 0, 'not stored while ffprobe cannot run');
    assert.ok(existsSync(seg.path), 'kept on disk');
    await uploader.stop(0);
  });

  test('stop() gives up after the grace period and leaves unstored segments on disk', async () => {
    const store = new MemoryStore();
    store.down = true;
    const { uploader, segment } = setup({ store });
    const seg = segment(0);
    await uploader.enqueue(seg);
    await uploader.stop(100);
    assert.ok(existsSync(seg.path));
    assert.equal(store.objects.size, 0);
  });

  test('a segment handed over right before stop() is stored within the grace period (the drain cannot start before its job exists)', async () => {
    const { store, uploader, segment } = setup();
    const seg = segment(0);
    void uploader.enqueue(seg); // as a recorder hands over its last segment: not awaited
    await uploader.stop(30_000);
    assert.ok(store.objects.has('camera-1/20251214/013000_camera-1.mp4'), 'stored');
    assert.equal(existsSync(seg.path), false);
  });

  test('stop() with segments still queued behind failing uploads logs nothing at error: nothing was lost', async () => {
    const store = new MemoryStore();
    store.down = true;
    const { uploader, segment, lines } = setup({ store });
    const segs = [segment(0), segment(1), segment(2), segment(3)]; // concurrency 2: two of them wait in the queue
    for (const s of segs) await uploader.enqueue(s);
    await uploader.stop(100);
    for (const s of segs) assert.ok(existsSync(s.path), 'kept on disk');
    await new Promise((r) => setImmediate(r));
    const levels = lines.map((l) => JSON.parse(l) as { level: string; msg: string });
    assert.deepEqual(
      levels.filter((l) => l.level === 'error' || l.level === 'fatal'),
      [],
    );
  });
});

test('segment bounds come from the file mtime when it agrees with the name, else from the name', () => {
  const name = Date.UTC(2025, 11, 14, 1, 30, 0);
  assert.deepEqual(preciseBounds(name, name + 10_400, 10), { startMs: name + 400, endMs: name + 10_400 });
  assert.deepEqual(preciseBounds(name, name + 3_600_000, 10), { startMs: name, endMs: name + 10_000 });
  // The first segment of a run holds the frames ffmpeg read while probing, from before its name.
  assert.deepEqual(preciseBounds(name, name + 4_450, 6), { startMs: name - 1_550, endMs: name + 4_450 });
  assert.deepEqual(
    preciseBounds(name, name + 1_000, 6),
    { startMs: name - 5_000, endMs: name + 1_000 },
    'ffmpeg behind the clock: the next segment named 5 s late',
  );
  assert.deepEqual(preciseBounds(name, name - 2_000, 6), { startMs: name, endMs: name + 6_000 }, 'mtime 8 s before the name: not trusted');
});

test('a segment closed while the writer was behind starts in the second of its name, not at its file time less its duration', () => {
  // Seen in the gap test under load: 3.000 s of media named :12, opened at 12.155 (the previous
  // segment's file time), closed at 17.175. mtime − duration (14.175) is 2.2 s after the second
  // the file was opened in to write its first frame: nothing in it was captured that late. It was
  // opened somewhere in that second: its middle is at most half a second off.
  const name = Date.UTC(2026, 11, 1, 6, 28, 12);
  assert.deepEqual(preciseBounds(name, name + 5_175, 3), { startMs: name + 500, endMs: name + 3_500 });
  assert.deepEqual(preciseBounds(name, name + 3_940, 3), { startMs: name + 940, endMs: name + 3_940 }, 'within its second: the file time holds');
  // opened at .955 and closed 65 ms behind: 20 ms past the second, where the name alone was 955 ms early
  assert.deepEqual(preciseBounds(name, name + 4_702, 3.682), { startMs: name + 500, endMs: name + 4_182 });
});

test('a duration longer than the time the file was recording is not believed: the next reading that fits, else the file times', () => {
  const name = Date.UTC(2025, 11, 14, 1, 30, 0);
  const mtime = name + 30_200;
  assert.deepEqual(plausibleDuration([30.1, 30.0, 30.0], name, mtime), { durationSec: 30.1, from: 'media', rejected: [] });
  assert.deepEqual(plausibleDuration([26_721.2, 31.4, undefined], name, mtime), { durationSec: 31.4, from: 'media', rejected: [26_721.2] });
  assert.deepEqual(plausibleDuration([26_721.2, 26_720, 18_000], name, mtime), { durationSec: 30.2, from: 'file times', rejected: [26_721.2, 26_720, 18_000] });
  assert.equal(plausibleDuration([36.5], name, mtime).durationSec, 36.5, 'a segment may hold 7 s from before its name');
  assert.equal(plausibleDuration([39], name, mtime).from, 'file times', 'not more');
  assert.equal(plausibleDuration([30.1], name, name - 60_000).durationSec, 30.1, 'an mtime before the name is not trusted');
});

test('a segment whose audio timestamps lie hours after its video is stored with the duration it really plays', async () => {
  const { store, uploader, segment, lines } = setup();
  const dir = mkdtempSync(join(tmpdir(), 'jump-'));
  const path = join(dir, 'jump.mp4');
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15:duration=2',
    '-itsoffset', '20000', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=1',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-pix_fmt', 'yuv420p', '-c:a', 'aac',
    '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', path]);
  const seg = segment(0, readFileSync(path));
  utimesSync(seg.path, new Date(seg.startMs + 2_500), new Date(seg.startMs + 2_500)); // closed 2.5 s after its name
  await uploader.enqueue(seg);
  await uploader.onIdle();
  const meta = store.objects.get('camera-1/20251214/013000_camera-1.mp4')?.metadata;
  assert.ok(meta, 'stored');
  assert.ok(Number(meta.duration) > 1.5 && Number(meta.duration) <= 3.5, `duration ${meta.duration}`);
  assert.ok(
    lines.some((l) => l.includes('segment timestamps claim more media')),
    'logged',
  );
});

test('retryNow() ends the backoff wait of every failing upload at once', { timeout: 30_000 }, async () => {
  const store = new MemoryStore();
  store.down = true;
  const dir = mkdtempSync(join(tmpdir(), 'uploader-'));
  mkdirSync(join(dir, 'camera-1'));
  const metrics = createMetrics();
  const log = createLogger('silent', new Redactor());
  const uploader = new Uploader({
    store,
    health: new StoreHealth(systemClock),
    log,
    metrics,
    clock: systemClock,
    // a one-hour backoff: without retryNow() the segment would wait that long
    settings: {
      concurrency: 1,
      attemptTimeoutMs: 10_000,
      retryInitialMs: 3_600_000,
      retryMaxMs: 3_600_000,
      ffprobePath: 'ffprobe',
      quarantineDir: join(dir, '.q'),
    },
  });
  const path = join(dir, 'camera-1', '20251214-013000.mp4');
  writeFileSync(path, fixture);
  await uploader.enqueue({ cameraId: 'camera-1', path, startMs: START, listedDurationSec: 2 });
  while ((await value(metrics, 'camera_upload_failures_total')) < 1) await systemClock.sleep(10);
  store.down = false;
  uploader.retryNow();
  await uploader.onIdle();
  assert.equal(existsSync(path), false);
  assert.equal(store.objects.size, 1);
});

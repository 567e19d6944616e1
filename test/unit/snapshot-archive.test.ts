// The snapshot archive against the in-memory store with a clock the test moves: where snapshots go and
// what is stored with them, what each mode keeps, the rate limit, the bound on uploads in flight, and
// a store that fails or does not answer (counted, logged once, never at error).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Clock } from '../../src/clock.ts';
import { StoreError } from '../../src/errors.ts';
import { Registry } from 'prom-client';
import { type ArchiveMetrics, createArchiveMetrics, type SkipReason } from '../../src/frames/archive-metrics.ts';
import { type ArchiveOptions, DEFAULT_ARCHIVE_OPTIONS, type SnapshotReason } from '../../src/frames/archive-options.ts';
import { SnapshotArchive, type SnapshotOffer } from '../../src/frames/snapshot-archive.ts';
import type { PutBytesInput } from '../../src/storage/object-store.ts';
import { lineLogger } from '../support/line-logger.ts';
import { MemoryStore } from '../support/memory-store.ts';

const T0 = Date.UTC(2026, 11, 1, 9, 5, 7, 123);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

/** Time moves only when the test says so; sleepers wake when it passes their time. */
class TestClock implements Clock {
  t = T0;
  #sleepers: { until: number; wake: () => void }[] = [];
  now = (): number => this.t;
  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const sleeper = { until: this.t + ms, wake: resolve };
      this.#sleepers.push(sleeper);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  advance(ms: number): void {
    this.t += ms;
    for (const s of this.#sleepers.filter((x) => x.until <= this.t)) s.wake();
    this.#sleepers = this.#sleepers.filter((x) => x.until > this.t);
  }
}

class RecordingMetrics implements ArchiveMetrics {
  readonly events: string[] = [];
  stored(cameraId: string, reason: SnapshotReason): void {
    this.events.push(`stored ${cameraId} ${reason}`);
  }
  skipped(cameraId: string, reason: SnapshotReason, why: SkipReason): void {
    this.events.push(`skipped ${cameraId} ${reason} ${why}`);
  }
}

/** Holds every PUT until the test releases it (or the upload is aborted), as a slow store would. */
class GatedStore extends MemoryStore {
  readonly #gates: (() => void)[] = [];
  override async putBytes(input: PutBytesInput): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#gates.push(resolve);
      input.signal?.addEventListener('abort', () => reject(new StoreError('aborted', 'timeout')), { once: true });
    });
    return super.putBytes(input);
  }
  get waiting(): number {
    return this.#gates.length;
  }
  releaseAll(): void {
    for (const g of this.#gates.splice(0)) g();
  }
}

function setup(opts: { store?: MemoryStore; defaults?: ArchiveOptions; maxInFlight?: number } = {}) {
  const store = opts.store ?? new MemoryStore();
  const clock = new TestClock();
  const metrics = new RecordingMetrics();
  const { log, lines } = lineLogger('debug');
  const archive = new SnapshotArchive({
    store,
    clock,
    log,
    metrics,
    ...(opts.defaults ? { defaults: opts.defaults } : {}),
    ...(opts.maxInFlight ? { maxInFlight: opts.maxInFlight } : {}),
  });
  const offer = (cameraId: string, reason: SnapshotReason, more: Partial<SnapshotOffer> = {}) =>
    archive.offer({ cameraId, reason, jpeg: JPEG, capturedAtMs: clock.now(), ...more });
  const keys = () => [...store.objects.keys()].sort();
  return { store, clock, metrics, archive, offer, keys, lines };
}

describe('snapshot archive: what is stored', () => {
  test('a snapshot is stored as snapshots/{camera}/{YYYYMMDD}/{HHMMSS}_{reason}.jpg (UTC capture time), byte for byte, with its metadata', async () => {
    const { store, metrics, archive, offer } = setup();
    // captured before midnight UTC, offered after: the key follows the capture
    const captured = Date.UTC(2026, 10, 30, 23, 59, 58, 900);
    assert.equal(offer('cam-1', 'covered', { capturedAtMs: captured, labels: { site: 'store 12', zone_a: 'exit' } }), 'started');
    await archive.idle();
    const o = store.objects.get('snapshots/cam-1/20261130/235958_covered.jpg');
    assert.ok(o, `stored: ${[...store.objects.keys()]}`);
    assert.deepEqual(o.bytes, JPEG);
    assert.equal(o.contentType, 'image/jpeg');
    assert.deepEqual(o.metadata, {
      camera: 'cam-1',
      reason: 'covered',
      'captured-at': '2026-11-30T23:59:58.900Z',
      'label-site': 'store%2012',
      'label-zone-a': 'exit',
    });
    assert.deepEqual(metrics.events, ['stored cam-1 covered']);
  });

  test('a second snapshot of the same camera, second and reason is stored beside the first (_2), never over it', async () => {
    const { store, clock, archive, offer, keys } = setup();
    offer('cam-1', 'black', { jpeg: Buffer.from('first') });
    await archive.idle();
    clock.advance(MINUTE);
    // a pushed camera may repeat a capture time; a clock set back can too
    offer('cam-1', 'black', { jpeg: Buffer.from('second'), capturedAtMs: T0 });
    await archive.idle();
    assert.deepEqual(keys(), ['snapshots/cam-1/20261201/090507_black.jpg', 'snapshots/cam-1/20261201/090507_black_2.jpg']);
    assert.equal(store.objects.get('snapshots/cam-1/20261201/090507_black.jpg')?.bytes.toString(), 'first');
    assert.equal(store.objects.get('snapshots/cam-1/20261201/090507_black_2.jpg')?.bytes.toString(), 'second');
  });
});

describe('snapshot archive: modes', () => {
  const abnormal: SnapshotReason[] = ['black', 'frozen', 'covered', 'blurred', 'moved', 'motion'];

  test('abnormal (the default) keeps problems and motion starts, and no samples (a sample not taken is not counted)', async () => {
    const { metrics, archive, offer, keys } = setup({ maxInFlight: 10 });
    for (const r of [...abnormal, 'sample'] as const) offer('cam-1', r);
    await archive.idle();
    assert.deepEqual(keys(), abnormal.map((r) => `snapshots/cam-1/20261201/090507_${r}.jpg`).sort());
    assert.ok(!metrics.events.some((e) => e.includes('sample')), metrics.events.join('\n'));
  });

  test('sample keeps one sample every sample_interval and no problems (counted as skipped for mode)', async () => {
    const { clock, metrics, archive, offer, keys } = setup({ defaults: { ...DEFAULT_ARCHIVE_OPTIONS, mode: 'sample' } });
    assert.equal(offer('cam-1', 'black'), 'mode');
    assert.equal(offer('cam-1', 'sample'), 'started');
    await archive.idle();
    clock.advance(5 * MINUTE - SECOND);
    assert.equal(offer('cam-1', 'sample'), 'rate_limited');
    clock.advance(SECOND);
    assert.equal(offer('cam-1', 'sample'), 'started');
    await archive.idle();
    assert.deepEqual(keys(), ['snapshots/cam-1/20261201/090507_sample.jpg', 'snapshots/cam-1/20261201/091007_sample.jpg']);
    assert.deepEqual(metrics.events, ['skipped cam-1 black mode', 'stored cam-1 sample', 'stored cam-1 sample']);
  });

  test('all keeps both; none keeps nothing; each camera has its own mode', async () => {
    const { metrics, archive, offer, keys } = setup();
    archive.configure('cam-all', { ...DEFAULT_ARCHIVE_OPTIONS, mode: 'all' });
    archive.configure('cam-none', { ...DEFAULT_ARCHIVE_OPTIONS, mode: 'none' });
    for (const cam of ['cam-all', 'cam-none']) {
      offer(cam, 'frozen');
      offer(cam, 'sample');
    }
    await archive.idle();
    assert.deepEqual(keys(), ['snapshots/cam-all/20261201/090507_frozen.jpg', 'snapshots/cam-all/20261201/090507_sample.jpg']);
    assert.ok(metrics.events.includes('skipped cam-none frozen mode'));
    assert.equal(archive.wants('cam-none', 'motion'), false);
    assert.equal(archive.wants('cam-all', 'motion'), true);
  });
});

describe('snapshot archive: bounds', () => {
  test('per camera and reason at most one per min_interval; other reasons and cameras are not held back', async () => {
    const { clock, metrics, archive, offer, keys } = setup();
    assert.equal(offer('cam-1', 'motion'), 'started');
    await archive.idle();
    clock.advance(30 * SECOND);
    assert.equal(archive.wants('cam-1', 'motion'), false);
    assert.equal(offer('cam-1', 'motion'), 'rate_limited');
    assert.equal(offer('cam-1', 'black'), 'started');
    assert.equal(offer('cam-2', 'motion'), 'started');
    await archive.idle();
    clock.advance(30 * SECOND);
    assert.equal(offer('cam-1', 'motion'), 'started');
    await archive.idle();
    assert.deepEqual(keys(), [
      'snapshots/cam-1/20261201/090507_motion.jpg',
      'snapshots/cam-1/20261201/090537_black.jpg',
      'snapshots/cam-1/20261201/090607_motion.jpg',
      'snapshots/cam-2/20261201/090537_motion.jpg',
    ]);
    assert.ok(metrics.events.includes('skipped cam-1 motion rate_limited'));
  });

  test('a clock set back does not silence a camera until it catches up', async () => {
    const { clock, archive, offer } = setup();
    offer('cam-1', 'moved');
    await archive.idle();
    clock.advance(-3600 * SECOND);
    assert.equal(offer('cam-1', 'moved'), 'started');
    await archive.idle();
  });

  test('uploads in flight are bounded: an offer beyond is dropped and counted as busy, and does not use up its rate limit', async () => {
    const store = new GatedStore();
    const { metrics, archive, offer, keys } = setup({ store });
    assert.equal(offer('cam-1', 'black'), 'started');
    assert.equal(offer('cam-2', 'black'), 'started');
    assert.equal(offer('cam-3', 'black'), 'busy');
    assert.equal(archive.wants('cam-3', 'black'), false);
    assert.ok(metrics.events.includes('skipped cam-3 black busy'));
    await until(() => store.waiting === 2);
    store.releaseAll();
    await archive.idle();
    assert.equal(offer('cam-3', 'black'), 'started');
    await until(() => store.waiting === 1);
    store.releaseAll();
    await archive.idle();
    assert.deepEqual(
      keys(),
      ['cam-1', 'cam-2', 'cam-3'].map((c) => `snapshots/${c}/20261201/090507_black.jpg`),
    );
  });

  test('an upload that gets no answer within the timeout is abandoned and counted as failed, freeing its slot', async () => {
    const store = new GatedStore();
    const { clock, metrics, archive, offer } = setup({ store, maxInFlight: 1 });
    offer('cam-1', 'frozen');
    await until(() => store.waiting === 1);
    assert.equal(offer('cam-2', 'frozen'), 'busy');
    clock.advance(30 * SECOND);
    await settles(archive.idle());
    assert.ok(metrics.events.includes('skipped cam-1 frozen failed'), metrics.events.join('\n'));
    assert.equal(archive.wants('cam-2', 'frozen'), true);
  });
});

describe('snapshot archive: a failing store', () => {
  test('failures are counted and warned once per episode, never at error; the first stored snapshot after says so', async () => {
    const { store, clock, metrics, archive, offer, keys, lines } = setup();
    store.down = true;
    offer('cam-1', 'black');
    offer('cam-2', 'covered');
    await archive.idle();
    clock.advance(MINUTE);
    offer('cam-1', 'black');
    await archive.idle();
    assert.deepEqual(metrics.events, ['skipped cam-1 black failed', 'skipped cam-2 covered failed', 'skipped cam-1 black failed']);
    const levels = lines.map((l) => JSON.parse(l) as { level: string; msg: string });
    assert.equal(levels.filter((l) => l.level === 'warn').length, 1, lines.join(''));
    assert.ok(!levels.some((l) => l.level === 'error' || l.level === 'fatal'));
    store.down = false;
    clock.advance(MINUTE);
    offer('cam-1', 'black');
    await archive.idle();
    assert.deepEqual(keys(), ['snapshots/cam-1/20261201/090707_black.jpg']);
    assert.ok(
      lines.some((l) => l.includes('snapshots are stored again') && l.includes('"failed":3')),
      lines.join(''),
    );
    store.down = true;
    clock.advance(MINUTE);
    offer('cam-1', 'black');
    await archive.idle();
    assert.equal(lines.filter((l) => JSON.parse(l).level === 'warn').length, 2, 'a new episode warns again');
  });

  test('an upload still under way when its camera is forgotten finishes, stored but not counted: the series of the camera stay gone', async () => {
    const store = new GatedStore();
    const { metrics, archive, offer, keys } = setup({ store });
    assert.equal(offer('cam-1', 'motion'), 'started');
    await until(() => store.waiting === 1);
    archive.forget('cam-1');
    store.releaseAll();
    await archive.idle();
    assert.deepEqual(keys(), ['snapshots/cam-1/20261201/090507_motion.jpg']);
    assert.deepEqual(metrics.events, []);
    archive.configure('cam-1', { mode: 'abnormal', minIntervalMs: 60_000, sampleIntervalMs: 300_000 }); // the camera is back
    assert.equal(offer('cam-1', 'motion'), 'started');
    await until(() => store.waiting === 1);
    store.releaseAll();
    await archive.idle();
    assert.deepEqual(metrics.events, ['stored cam-1 motion'], 'counted again once configured');
  });

  test('stop abandons the uploads under way and takes no more offers', async () => {
    const store = new GatedStore();
    const { metrics, archive, offer } = setup({ store });
    offer('cam-1', 'motion');
    await until(() => store.waiting === 1);
    await settles(archive.stop());
    assert.equal(offer('cam-2', 'motion'), 'stopped');
    assert.deepEqual(metrics.events, ['skipped cam-1 motion failed']);
    await archive.stop();
  });
});

describe('snapshot archive: metrics', () => {
  test('prom-client counters: stored and skipped by camera, reason and why; a camera that goes leaves no series', async () => {
    const registry = new Registry();
    const m = createArchiveMetrics(registry);
    m.stored('cam-1', 'motion');
    m.skipped('cam-1', 'black', 'busy');
    m.skipped('cam-2', 'black', 'failed');
    const text = await registry.metrics();
    assert.match(text, /camera_snapshots_stored_total\{camera_id="cam-1",reason="motion"\} 1/);
    assert.match(text, /camera_snapshots_skipped_total\{camera_id="cam-1",reason="black",why="busy"\} 1/);
    m.forget('cam-1');
    const after = await registry.metrics();
    assert.doesNotMatch(after, /cam-1/);
    assert.match(after, /camera_snapshots_skipped_total\{camera_id="cam-2",reason="black",why="failed"\} 1/);
  });
});

/** Waits for `p`, failing (rather than hanging) when it does not settle once the event loop has run a while. */
async function settles(p: Promise<void>): Promise<void> {
  let done = false;
  void p.finally(() => {
    done = true;
  });
  await until(() => done);
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), 'condition not reached');
}

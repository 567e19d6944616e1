// The backlog guard against the real uploader, an in-memory store and real temp dirs: what it drops
// first, what its disk budget counts, and when the free-space floor may cost footage.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { before, describe, test } from 'node:test';
import { systemClock, type Clock } from '../../src/clock.ts';
import { StoreError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { Redactor } from '../../src/redact.ts';
import { BacklogGuard, type BacklogSettings } from '../../src/storage/backlog-guard.ts';
import type { PutInput } from '../../src/storage/object-store.ts';
import { listFiles, measureSpool } from '../../src/storage/spool.ts';
import { StoreHealth } from '../../src/storage/store-health.ts';
import { Uploader } from '../../src/storage/uploader.ts';
import { makeSegment } from '../support/media.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { until } from '../support/until.ts';

const START = Date.UTC(2025, 11, 14, 1, 30, 0);
const MINUTE = 60_000;
let fixture: Buffer;
before(() => {
  const dir = mkdtempSync(join(tmpdir(), 'seg-fixture-'));
  makeSegment(join(dir, 'f.mp4'), 2);
  fixture = readFileSync(join(dir, 'f.mp4'));
});

/** A store whose transfers last until the test releases them, one at a time, as over a slow link. */
class GatedStore extends MemoryStore {
  #gates: (() => void)[] = [];
  started = 0;
  aborted = 0;
  override async put(input: PutInput): Promise<void> {
    this.started++;
    await new Promise<void>((resolve, reject) => {
      this.#gates.push(resolve);
      input.signal.addEventListener(
        'abort',
        () => {
          this.aborted++;
          reject(new StoreError('transfer aborted', 'other'));
        },
        { once: true },
      );
    });
    return super.put(input);
  }
  /** Lets the oldest transfer under way finish. */
  release(): void {
    this.#gates.shift()?.();
  }
}

class FakeClock implements Clock {
  t = START;
  now = (): number => this.t;
  sleep = systemClock.sleep;
}

function setup(store: MemoryStore, settings: Partial<BacklogSettings> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'guard-'));
  mkdirSync(join(dir, 'camera-1'));
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
    settings: { concurrency: 1, attemptTimeoutMs: 60_000, retryInitialMs: 10, retryMaxMs: 40, ffprobePath: 'ffprobe', quarantineDir: join(dir, '.quarantine') },
  });
  const clock = new FakeClock();
  const dirs = { tempDir: dir, quarantineDir: join(dir, '.quarantine'), clipsDir: join(dir, '.clips'), eventsDir: join(dir, '.events') };
  const guardWith = (more: Partial<BacklogSettings>) =>
    new BacklogGuard(
      {
        ...dirs,
        maxBytes: 0,
        minFreeBytes: 0,
        budgetBytes: 0,
        quarantineMaxAgeMs: 7 * 24 * 60 * MINUTE,
        checkIntervalMs: 10_000,
        segmentDurationMs: MINUTE,
        ...settings,
        ...more,
      },
      uploader,
      log,
      clock,
    );
  const guard = guardWith({});
  const segment = (minute: number) => {
    const path = join(dir, 'camera-1', `20251214-01${String(30 + minute).padStart(2, '0')}00.mp4`);
    writeFileSync(path, fixture);
    return { cameraId: 'camera-1', path, startMs: START + minute * MINUTE, listedDurationSec: 2 };
  };
  const file = (relPath: string, bytes: number) => {
    const path = join(dir, relPath);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, Buffer.alloc(bytes, 1));
    return path;
  };
  const logged = () => lines.map((l) => JSON.parse(l) as { level: string; msg: string; file?: string; reason?: string });
  const drops = () =>
    logged()
      .filter((l) => l.msg.startsWith('segment dropped'))
      .map((l) => `${l.file} ${l.reason} ${l.level}`);
  return { dir, dirs, metrics, uploader, guard, guardWith, clock, segment, file, logged, drops };
}

async function dropped(metrics: Metrics, reason: string): Promise<number> {
  const m = await metrics.registry.getSingleMetric('camera_segments_dropped_total')!.get();
  return m.values.filter((v) => v.labels.reason === reason).reduce((s, v) => s + v.value, 0);
}

/** seg 0 is being transferred (held by the store), the later ones queued behind it. */
async function transferring(store: GatedStore, s: ReturnType<typeof setup>, minutes: number[]) {
  const segs = minutes.map((m) => s.segment(m));
  await s.uploader.enqueue(segs[0]!);
  await until('first transfer started', () => store.started === 1);
  for (const seg of segs.slice(1)) await s.uploader.enqueue(seg);
  return segs;
}

describe('backlog guard', () => {
  test('over the cap the oldest queued segment is dropped, not the one being uploaded: that transfer completes', async () => {
    const store = new GatedStore();
    const s = setup(store, { maxBytes: fixture.length * 2 });
    const segs = await transferring(store, s, [0, 1, 2]);
    await s.guard.check();
    assert.deepEqual(s.drops(), ['20251214-013100.mp4 backlog_cap error']);
    assert.equal(existsSync(segs[1]!.path), false);
    assert.equal(store.aborted, 0, 'the transfer under way was not aborted');
    store.release();
    await until('next transfer started', () => store.started === 2);
    store.release();
    await s.uploader.onIdle();
    assert.deepEqual([...store.objects.keys()].sort(), ['camera-1/20251214/013000_camera-1.mp4', 'camera-1/20251214/013200_camera-1.mp4']);
    assert.equal(await dropped(s.metrics, 'backlog_cap'), 1);
  });

  test('a segment being uploaded is dropped only when no queued segment is left', async () => {
    const store = new GatedStore();
    const s = setup(store, { maxBytes: 1 });
    await transferring(store, s, [0, 1]);
    await s.guard.check();
    assert.deepEqual(s.drops(), ['20251214-013100.mp4 backlog_cap error', '20251214-013000.mp4 backlog_cap error']);
    await s.uploader.onIdle();
    assert.equal(store.aborted, 1, 'the transfer was aborted');
    assert.equal(store.objects.size, 0);
  });

  test('the disk budget counts .clips, .quarantine and .events: quarantine goes first, then clip scratch, then the oldest queued segment', async () => {
    const store = new MemoryStore();
    store.down = true;
    const s = setup(store);
    const segs = [s.segment(0), s.segment(1), s.segment(2)];
    for (const seg of segs) await s.uploader.enqueue(seg);
    await until('an upload under way', () => s.uploader.waiting().some((w) => w.inFlight));
    const events = s.file('.events/e1.json', 3000);
    const quarantined = s.file('.quarantine/camera-1/20251214-012900.mp4', 50_000);
    const clip = s.file('.clips/clip-abc/013000.mp4', 80_000);
    const used = await measureSpool(s.dirs);
    assert.ok(
      used.areas.clips >= 80_000 && used.areas.quarantine >= 50_000 && used.areas.events >= 3000 && used.areas.segments >= 3 * fixture.length,
      JSON.stringify(used),
    );
    // Over the budget by the quarantine, the clip scratch and half a segment.
    const guard = s.guardWith({ budgetBytes: used.total - used.areas.quarantine - used.areas.clips - Math.floor(fixture.length / 2) });
    await guard.check();
    assert.equal(existsSync(quarantined), false, 'quarantine pruned');
    assert.equal(existsSync(clip), false, 'clip scratch pruned');
    assert.equal(existsSync(events), true, 'events kept');
    const waiting = s.uploader.waiting().map((w) => w.path);
    assert.equal(existsSync(segs[1]!.path), false, 'the oldest queued segment dropped');
    assert.deepEqual(waiting, [segs[0]!.path, segs[2]!.path]);
    assert.equal(await dropped(s.metrics, 'disk_full'), 1);
    await s.uploader.stop(0);
  });

  test('quarantined files older than quarantine_max_age are deleted, oldest first, and logged; newer ones stay', async () => {
    const s = setup(new MemoryStore(), { quarantineMaxAgeMs: 24 * 60 * MINUTE });
    const old = s.file('.quarantine/camera-1/20251210-000000.mp4', 1000);
    const older = s.file('.quarantine/camera-2/20251209-000000.mp4', 1000);
    const recent = s.file('.quarantine/camera-1/20251214-010000.mp4', 1000);
    utimesSync(old, new Date(START - 3 * 24 * 60 * MINUTE), new Date(START - 3 * 24 * 60 * MINUTE));
    utimesSync(older, new Date(START - 4 * 24 * 60 * MINUTE), new Date(START - 4 * 24 * 60 * MINUTE));
    utimesSync(recent, new Date(START - 60 * MINUTE), new Date(START - 60 * MINUTE));
    await s.guard.check();
    assert.deepEqual(
      (await listFiles(join(s.dir, '.quarantine'))).map((f) => f.path),
      [recent],
    );
    const pruned = s
      .logged()
      .filter((l) => l.msg.startsWith('quarantined file deleted'))
      .map((l) => l.file);
    assert.deepEqual(pruned, [older, old]);
  });

  test('below the floor, nothing is dropped while the store is storing; after two segment durations without a stored segment the oldest queued one goes first', async () => {
    const store = new GatedStore();
    const s = setup(store);
    const segs = await transferring(store, s, [0, 1, 2]);
    // A budget with 1 KiB left and a floor just under the budget: every check is far below the floor.
    const budgetBytes = (await measureSpool(s.dirs)).total + 1024;
    const guard = s.guardWith({ budgetBytes, minFreeBytes: budgetBytes - 1 });
    await guard.check();
    s.clock.t += 30_000;
    store.release(); // segment 0 stored: the store is storing
    await until('next transfer started', () => store.started === 2);
    await guard.check();
    s.clock.t += 2 * MINUTE; // nothing stored for two segment durations, but within one more check interval
    await guard.check();
    assert.deepEqual(s.drops(), []);
    assert.ok(segs.slice(1).every((seg) => existsSync(seg.path)));
    assert.ok(s.logged().some((l) => l.level === 'warn' && l.msg.includes('the store is storing')));
    s.clock.t += 10_001;
    await guard.check();
    assert.deepEqual(s.drops(), ['20251214-013200.mp4 disk_full error', '20251214-013100.mp4 disk_full error']);
    assert.equal(await dropped(s.metrics, 'disk_full'), 2);
    await s.uploader.onIdle();
  });

  test('a floor larger than the space it is measured in is reported once, naming the key, and lowered to a tenth of it', async () => {
    const store = new GatedStore();
    const s = setup(store, { minFreeBytes: 2 ** 30, budgetBytes: 10 * 2 ** 20 });
    await s.guard.check();
    await s.guard.check();
    const warnings = s.logged().filter((l) => l.level === 'warn' && l.msg.includes('backlog.min_free_bytes (1GiB)'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.msg, /temp_dir_max_bytes \(10MiB\); keeping a tenth of it \(1MiB\) free instead. Set BACKLOG_MIN_FREE_BYTES/);
  });

  test('diskFull() frees room for a segment at once: quarantine and clip scratch, then the oldest queued segment, no more', async () => {
    const store = new GatedStore();
    const s = setup(store);
    const segs = await transferring(store, s, [0, 1, 2]);
    const quarantined = s.file('.quarantine/camera-1/20251214-012900.mp4', 4096);
    const clip = s.file('.clips/clip-abc/part.mp4', 4096);
    const used = await measureSpool(s.dirs);
    // A budget with 1 KiB left: the disk is full as far as the recorder is concerned.
    const guard = s.guardWith({ budgetBytes: used.total + 1024 });
    await guard.check();
    assert.deepEqual(s.drops(), [], 'a regular check with the store storing drops nothing');
    await guard.diskFull();
    assert.equal(existsSync(quarantined), false);
    assert.equal(existsSync(clip), false);
    assert.deepEqual(s.drops(), ['20251214-013100.mp4 disk_full error']);
    assert.ok(existsSync(segs[0]!.path) && existsSync(segs[2]!.path));
    assert.equal(store.aborted, 0);
    await s.uploader.stop(0);
  });
});

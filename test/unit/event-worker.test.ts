// The event worker driven by a hand-cranked clock: each pass ends in clock.sleep, so a test waits
// for that sleep, moves time on, and looks at what the pass did (reads from the store, event state).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { Clock } from '../../src/clock.ts';
import { EventStore, type EventRecord } from '../../src/clips/event-store.ts';
import { EventWorker } from '../../src/clips/event-worker.ts';
import { execa } from 'execa';
import { EventBus } from '../../src/events/event-bus.ts';
import type { AnyEnvelope } from '../../src/events/event-types.ts';
import { createLogger } from '../../src/logger.ts';
import { Redactor } from '../../src/redact.ts';
import { assertEnvelope } from '../support/event-schema.ts';
import { MemoryStore } from '../support/memory-store.ts';

const T = Date.UTC(2025, 11, 14, 14, 0, 0);
const POLL_MS = 1000;

/** Time moves only when the test says so; `nextSleep()` resolves when the worker has finished a pass. */
class ManualClock implements Clock {
  #now: number;
  #sleepers: { until: number; resolve: () => void }[] = [];
  #onSleep: (() => void)[] = [];
  constructor(now: number) {
    this.#now = now;
  }
  now(): number {
    return this.#now;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = { until: this.#now + ms, resolve };
      this.#sleepers.push(sleeper);
      signal?.addEventListener('abort', () => this.#wakeUp(sleeper), { once: true });
      for (const f of this.#onSleep.splice(0)) f();
    });
  }
  nextSleep(): Promise<void> {
    return new Promise((resolve) => this.#onSleep.push(resolve));
  }
  /** Moves time on and waits for the pass that this starts. */
  async advance(ms: number): Promise<void> {
    const pass = this.nextSleep();
    this.#now += ms;
    for (const s of this.#sleepers.filter((x) => x.until <= this.#now)) this.#wakeUp(s);
    await pass;
  }
  #wakeUp(sleeper: { resolve: () => void }): void {
    this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
    sleeper.resolve();
  }
}

/** A memory store that counts segment downloads: every try at a clip downloads its segments. */
class CountingStore extends MemoryStore {
  reads = 0;
  lists = 0;
  override async list(prefix: string): Promise<string[]> {
    this.lists++;
    return super.list(prefix);
  }
  override async read(key: string): Promise<NodeJS.ReadableStream> {
    this.reads++;
    return super.read(key);
  }
}

async function setup(opts: { maxAttempts?: number; backlog?: { startMs: number }[] } = {}) {
  const heard: AnyEnvelope[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'event-worker-'));
  const clock = new ManualClock(T + 60_000);
  const store = new CountingStore();
  const events = new EventStore(join(dir, '.events'));
  await events.load(clock.now());
  const backlog = { items: opts.backlog ?? [] };
  const log = createLogger(
    'silent',
    new Redactor(),
    new Writable({
      write(_c, _e, cb) {
        cb();
      },
    }),
  );
  const bus = new EventBus({ log, now: () => clock.now() });
  bus.subscribe((e) => heard.push(e));
  const worker = new EventWorker({
    events,
    store,
    clock,
    log,
    emit: bus.emitter,
    localBacklog: (cameraId) => (cameraId === 'camera-1' ? backlog.items : []),
    settings: {
      ffmpegPath: 'ffmpeg',
      ffprobePath: 'ffprobe',
      workDir: join(dir, '.clips'),
      waitMaxMs: 600_000,
      pollIntervalMs: POLL_MS,
      maxAttempts: opts.maxAttempts ?? 5,
      segmentDurationMs: 10_000,
    },
  });
  /** A stored segment that no ffmpeg or ffprobe can read (seconds from T). */
  const putBadSegment = (startS: number, endS: number): void => {
    const hhmmss = new Date(T + startS * 1000).toISOString().slice(11, 19).replaceAll(':', '');
    store.objects.set(`camera-1/20251214/${hhmmss}_camera-1.mp4`, {
      bytes: Buffer.from('this is not an mp4 file'),
      contentType: 'video/mp4',
      metadata: { start: new Date(T + startS * 1000).toISOString(), end: new Date(T + endS * 1000).toISOString() },
    });
  };
  /** A real 10 s segment (320x240, 10 fps, a key frame a second) stored as the recorder stores one, from T + startS. */
  const putSegment = async (startS: number): Promise<void> => {
    const file = join(dir, `segment-${startS}.mp4`);
    // biome-ignore format: ffmpeg arguments read as flag-value pairs
    await execa('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10', '-t', '10',
      '-c:v', 'libx264', '-g', '10', '-pix_fmt', 'yuv420p', '-y', file,
    ]);
    const hhmmss = new Date(T + startS * 1000).toISOString().slice(11, 19).replaceAll(':', '');
    store.objects.set(`camera-1/20251214/${hhmmss}_camera-1.mp4`, {
      bytes: readFileSync(file),
      contentType: 'video/mp4',
      metadata: { start: new Date(T + startS * 1000).toISOString(), end: new Date(T + (startS + 10) * 1000).toISOString() },
    });
  };
  const event = async (atS: number, extra: Partial<EventRecord> = {}): Promise<string> => {
    const now = new Date(clock.now()).toISOString();
    const rec: EventRecord = {
      id: 'e1e1e1e1-0001',
      camera: 'camera-1',
      at: new Date(T + atS * 1000).toISOString(),
      pre_seconds: 2,
      post_seconds: 2,
      metadata: {},
      status: 'pending',
      created_at: now,
      updated_at: now,
      ...extra,
    };
    await events.save(rec);
    return rec.id;
  };
  const start = async (): Promise<void> => {
    const pass = clock.nextSleep();
    worker.start();
    await pass;
  };
  const wake = async (): Promise<void> => {
    const pass = clock.nextSleep();
    worker.wake();
    await pass;
  };
  return { clock, store, events, worker, backlog, heard, putBadSegment, putSegment, event, start, wake };
}

test('a clip that keeps failing for a reason other than the store ends the event failed with the reason after max_attempts, tries backing off', async () => {
  const { clock, store, events, worker, heard, putBadSegment, event, start, wake } = await setup({ maxAttempts: 3 });
  putBadSegment(0, 10);
  const id = await event(3);
  try {
    await start();
    assert.equal(store.reads, 1, 'first try');
    assert.equal(events.get(id)!.status, 'pending');
    assert.equal(events.get(id)!.attempts, 1);
    await wake(); // an upload finished: no new try before the backoff is over
    await clock.advance(POLL_MS);
    assert.equal(store.reads, 1, 'still backing off');
    await clock.advance(POLL_MS);
    assert.equal(store.reads, 2, 'second try after 2 polls');
    await clock.advance(2 * POLL_MS);
    assert.equal(store.reads, 2, 'the pause doubles');
    await clock.advance(2 * POLL_MS);
    assert.equal(store.reads, 3, 'third try');
    const failed = events.get(id)!;
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /^clip not made after 3 attempts: ffprobe could not read key frames/);
    assert.deepEqual(
      heard.map((e) => e.type),
      ['event.failed'],
      'told once, when it failed for good',
    );
    assertEnvelope(heard[0]);
    assert.deepEqual(heard[0]!.data, { event_id: id, at: failed.at, error: failed.error });
    await clock.advance(60 * POLL_MS);
    assert.equal(store.reads, 3, 'a failed event is not tried again');
  } finally {
    await worker.stop();
  }
});

test('a store that does not answer uses up no tries, and is asked again with backoff, not at every poll', async () => {
  const { clock, store, events, worker, putBadSegment, event, start } = await setup({ maxAttempts: 2 });
  putBadSegment(0, 10);
  store.down = true;
  const id = await event(3);
  try {
    await start();
    assert.equal(store.lists, 1);
    await clock.advance(POLL_MS);
    assert.equal(store.lists, 1, 'backing off');
    await clock.advance(POLL_MS);
    assert.equal(store.lists, 2);
    for (let i = 2; i <= 7; i++) await clock.advance(2 ** i * POLL_MS);
    assert.equal(store.lists, 8);
    assert.equal(events.get(id)!.status, 'pending');
    assert.equal(events.get(id)!.attempts ?? 0, 0);
    store.down = false;
    await clock.advance(2 ** 8 * POLL_MS);
    assert.equal(store.reads, 1);
    assert.equal(events.get(id)!.attempts, 1, 'a failure of the clip itself counts');
  } finally {
    await worker.stop();
  }
});

test('an event waits while footage of its window is in the local backlog, then is cut', async () => {
  const { store, events, worker, backlog, putBadSegment, event, start, wake } = await setup({ backlog: [{ startMs: T }] });
  putBadSegment(5, 15); // the end of the window is in the store: only the backlog says to wait
  const id = await event(6); // window T+4 s … T+8 s; the backlog segment (T … T+10 s) holds its start
  try {
    await start();
    assert.equal(store.reads, 0, 'not cut while its start is still waiting for upload');
    backlog.items = [{ startMs: T - 3_600_000 }, { startMs: T + 20_000 }]; // uploaded; what waits now is outside the window
    await wake();
    assert.equal(store.reads, 1, 'cut once the backlog no longer holds its footage');
    assert.equal(events.get(id)!.attempts, 1);
  } finally {
    await worker.stop();
  }
});

test('an event past events.wait_max is cut from what the store has, backlog or not', async () => {
  const { clock, store, worker, putBadSegment, event, start } = await setup({ backlog: [{ startMs: T }] });
  putBadSegment(5, 15);
  await event(6);
  try {
    await start();
    assert.equal(store.reads, 0);
    await clock.advance(600_000);
    assert.equal(store.reads, 1);
  } finally {
    await worker.stop();
  }
});

test('a done event stores the clip, then its evidence PNGs, then the JSON listing both with the metadata, and tells event.done with every key', async () => {
  const { store, events, worker, heard, putSegment, event, start } = await setup();
  await putSegment(0);
  const id = await event(5, { frames_requested: 3, frames_mode: 'spread', metadata: { receipt: 'R-1043', total: 12.5 } });
  try {
    await start();
    const done = events.get(id)!;
    assert.equal(done.status, 'done', done.error);
    const base = 'events/camera-1/20251214/140005_e1e1e1e1-0001';
    const frameKeys = ['01', '02', '03'].map((n) => `${base}/frame-${n}.png`);
    assert.deepEqual(
      [...store.objects.keys()].filter((k) => k.startsWith('events/')),
      [`${base}.mp4`, ...frameKeys, `${base}.json`],
      'the JSON last',
    );
    for (const key of frameKeys) {
      const png = store.objects.get(key)!;
      assert.equal(png.contentType, 'image/png');
      assert.deepEqual(png.metadata, { camera: 'camera-1', event: id });
      assert.equal(png.bytes.subarray(1, 4).toString(), 'PNG');
      assert.deepEqual([png.bytes.readUInt32BE(16), png.bytes.readUInt32BE(20)], [320, 240], "the camera's size");
    }
    // window T+3 s … T+7 s in 3 slices: their middles, snapped back to the 10 fps frame on screen then
    const frameAts = done.frames!.map((f) => Date.parse(f.at) - T);
    assert.deepEqual(frameAts, [3600, 5000, 6300]);
    for (const [i, key] of frameKeys.entries()) {
      const n = frameAts[i]! / 100; // 10 fps from T
      assert.equal(
        await rgb(store.objects.get(key)!.bytes, 'png_pipe'),
        await rgb(store.objects.get('camera-1/20251214/140000_camera-1.mp4')!.bytes, 'mp4', n),
        `${key} is frame ${n}`,
      );
    }
    assert.deepEqual(
      done.frames!.map((f) => f.key),
      frameKeys,
    );
    const json = JSON.parse(store.objects.get(`${base}.json`)!.bytes.toString()) as Record<string, unknown>;
    assert.deepEqual(json.frames, done.frames);
    assert.deepEqual(json.metadata, { receipt: 'R-1043', total: 12.5 });
    assert.deepEqual(json.clip, done.clip);
    assert.deepEqual(
      heard.map((e) => e.type),
      ['event.done'],
    );
    assertEnvelope(heard[0]);
    assert.deepEqual(heard[0]!.data, {
      event_id: id,
      at: done.at,
      clip_key: `${base}.mp4`,
      metadata_key: `${base}.json`,
      duration_seconds: done.clip!.duration_seconds,
      frames: frameKeys,
    });
  } finally {
    await worker.stop();
  }
});

/** The picture's pixels as a digest: a PNG, or frame `n` of a video. */
async function rgb(bytes: Buffer, format: string, n?: number): Promise<string> {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  const { stdout } = await execa('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-f', format, '-i', 'pipe:0',
    ...(n === undefined ? [] : ['-vf', `select=eq(n\\,${n})`, '-fps_mode', 'passthrough']),
    '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
  ], { input: bytes, encoding: 'buffer' });
  return createHash('sha256').update(stdout).digest('hex');
}

test('before frames one a second up to at, closer when pre_seconds is short; two on one frame store that frame twice', async () => {
  const { events, store, worker, putSegment, event, start } = await setup();
  await putSegment(0);
  const id = await event(5, { pre_seconds: 0.1, frames_requested: 3, frames_mode: 'before' });
  try {
    await start();
    const done = events.get(id)!;
    assert.equal(done.status, 'done', done.error);
    // asked T+4.9, T+4.95, T+5 s; at 10 fps the frame on screen at 4.95 s is the one of 4.9 s
    assert.deepEqual(
      done.frames!.map((f) => Date.parse(f.at) - T),
      [4900, 4900, 5000],
    );
    const [a, b, c] = done.frames!.map((f) => store.objects.get(f.key)!.bytes);
    assert.ok(a!.equals(b!));
    assert.equal(await rgb(c!, 'png_pipe'), await rgb(store.objects.get('camera-1/20251214/140000_camera-1.mp4')!.bytes, 'mp4', 50));
  } finally {
    await worker.stop();
  }
});

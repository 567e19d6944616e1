// The event worker driven by a hand-cranked clock: each pass ends in clock.sleep, so a test waits
// for that sleep, moves time on, and looks at what the pass did (reads from the store, event state).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { Clock } from '../../src/clock.ts';
import { EventStore, type EventRecord } from '../../src/clips/event-store.ts';
import { EventWorker } from '../../src/clips/event-worker.ts';
import { emitNothing } from '../../src/events/event-bus.ts';
import { createLogger } from '../../src/logger.ts';
import { Redactor } from '../../src/redact.ts';
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
  const worker = new EventWorker({
    events,
    store,
    clock,
    log,
    emit: emitNothing,
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
  const event = async (atS: number): Promise<string> => {
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
  return { clock, store, events, worker, backlog, putBadSegment, event, start, wake };
}

test('a clip that keeps failing for a reason other than the store ends the event failed with the reason after max_attempts, tries backing off', async () => {
  const { clock, store, events, worker, putBadSegment, event, start, wake } = await setup({ maxAttempts: 3 });
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

// The event intake (HTTP and MQTT share it) on a real event store in a temp dir and the real bus:
// an event_id makes a repeat return the stored event and add nothing, at once, concurrently and
// after a restart; bad fields are named; event.accepted envelopes pass the published schema.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { ClipError } from '../../src/clips/clip-error.ts';
import { EventIntake } from '../../src/clips/event-intake.ts';
import { EventStore } from '../../src/clips/event-store.ts';
import { loadConfig } from '../../src/config/load.ts';
import { EventBus } from '../../src/events/event-bus.ts';
import type { AnyEnvelope } from '../../src/events/event-types.ts';
import { createLogger } from '../../src/logger.ts';
import { Redactor } from '../../src/redact.ts';
import { assertEnvelope } from '../support/event-schema.ts';

const T = Date.UTC(2025, 11, 14, 14, 0, 0);
const log = createLogger('silent', new Redactor(), new Writable({ write: (_c, _e, done) => done() }));

function setup(dir = mkdtempSync(join(tmpdir(), 'event-intake-')), env: Record<string, string> = {}) {
  const config = loadConfig(undefined, {
    STORAGE: 'filesystem',
    FILESYSTEM_ROOT: dir,
    TEMP_DIR: dir,
    CAMERA1_RTSP_URL: 'rtsp://192.0.2.1/s',
    CAMERA2_RTSP_URL: 'rtsp://192.0.2.2/s',
    EVENT_FRAMES_DEFAULT: '2',
    EVENT_FRAMES_MAX: '5',
    ...env,
  });
  const events = new EventStore(join(dir, '.events'));
  const bus = new EventBus({ log, now: () => T });
  const heard: AnyEnvelope[] = [];
  bus.subscribe((e) => heard.push(e));
  const wakes = { count: 0 };
  const intake = new EventIntake({
    events,
    worker: { wake: () => wakes.count++ },
    clock: { now: () => T, sleep: async () => undefined },
    config,
    log,
    currentCameras: () => ['camera-1', 'camera-2'],
    emit: bus.emitter,
  });
  const files = (): string[] => readdirSync(events.dir).filter((f) => f.endsWith('.json'));
  return { dir, events, intake, heard, wakes, files };
}

const body = (extra: Record<string, unknown> = {}) => ({ camera: 'camera-1', at: '2025-12-14T13:59:50Z', metadata: { receipt: 'R-1043' }, ...extra });

test('the same event_id twice is one event: the second answer is the stored event, marked duplicate, and adds, tells and wakes nothing', async () => {
  const { events, intake, heard, wakes, files } = setup();
  await events.load(T);
  const first = await intake.accept(body({ event_id: 'till-7-R1043', frames: 3 }));
  assert.equal(first.duplicate, false);
  assert.equal(first.record.id, 'till-7-R1043', 'the event_id is the id');
  assert.equal(first.record.frames_requested, 3);
  const again = await intake.accept(body({ event_id: 'till-7-R1043', at: '2025-12-14T13:59:55Z', metadata: { receipt: 'changed' } }));
  assert.equal(again.duplicate, true);
  assert.deepEqual(again.record, first.record, 'the first one stands');
  assert.deepEqual(files(), ['till-7-R1043.json']);
  assert.equal(wakes.count, 1);
  assert.deepEqual(
    heard.map((e) => e.type),
    ['event.accepted'],
  );
  const accepted = heard[0]!;
  assertEnvelope(accepted);
  assert.equal(accepted.camera_id, 'camera-1');
  assert.deepEqual(accepted.data, {
    event_id: 'till-7-R1043',
    at: '2025-12-14T13:59:50.000Z',
    pre_seconds: 10,
    post_seconds: 10,
    metadata: { receipt: 'R-1043' },
  });
  const other = await intake.accept(body());
  assert.equal(other.duplicate, false);
  assert.match(other.record.id, /^[0-9a-f-]{36}$/, 'without event_id: a UUID');
  assert.equal(other.record.frames_requested, 2, 'events.frames_default');
  assert.equal(other.record.frames_mode, 'spread');
});

test('two deliveries of one event_id at once save it once; exactly one of them is new', async () => {
  const { events, intake, heard, files } = setup();
  await events.load(T);
  const answers = await Promise.all([1, 2, 3].map(() => intake.accept(body({ event_id: 'qos1-redelivered' }))));
  assert.deepEqual(answers.map((a) => a.duplicate).sort(), [false, true, true]);
  assert.ok(answers.every((a) => a.record === answers[0]!.record));
  assert.deepEqual(files(), ['qos1-redelivered.json']);
  assert.equal(heard.length, 1);
});

test('an event_id stays known across a restart, also for a repeat that comes before the stored events are loaded', async () => {
  const first = setup();
  await first.events.load(T);
  const stored = (await first.intake.accept(body({ event_id: 'before-restart-1' }))).record;
  await first.events.save({ ...stored, status: 'done' });

  const early = setup(first.dir); // the API takes events while the recorder is still starting
  const beforeLoad = await early.intake.accept(body({ event_id: 'before-restart-1' }));
  assert.equal(beforeLoad.duplicate, true);
  assert.equal(beforeLoad.record.status, 'done');

  const later = setup(first.dir);
  await later.events.load(T);
  const afterLoad = await later.intake.accept(body({ event_id: 'before-restart-1' }));
  assert.equal(afterLoad.duplicate, true);
  assert.equal(afterLoad.record.status, 'done');
  assert.equal(later.events.pending().length, 0, 'no second event to cut');
  assert.equal(later.heard.length + early.heard.length, 0);
});

test('an event_id another camera used is a conflict naming event_id, not a silent repeat', async () => {
  const { events, intake, files } = setup();
  await events.load(T);
  await intake.accept(body({ event_id: 'shared-receipt-9' }));
  await assert.rejects(
    intake.accept(body({ event_id: 'shared-receipt-9', camera: 'camera-2' })),
    (e: ClipError) => e.problem === 'conflict' && e.field === 'event_id' && /already an event of camera camera-1/.test(e.message),
  );
  assert.deepEqual(files(), ['shared-receipt-9.json']);
});

test('bad event_id, frames and frames_mode are refused naming the field and how to fix it; nothing is stored or told', async () => {
  const { events, intake, heard, files } = setup();
  await events.load(T);
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ event_id: 'short' }, 'event_id', /8 to 64 letters, digits, _ or -/],
    [{ event_id: '../../etc/passwd' }, 'event_id', /not an id/],
    [{ event_id: 'a/b/c/d/e/f/g' }, 'event_id', /not an id/],
    [{ event_id: 'receipt.1043.json' }, 'event_id', /not an id/],
    [{ event_id: '-starts-with-dash' }, 'event_id', /starting with a letter or digit/],
    [{ event_id: 'x'.repeat(65) }, 'event_id', /not an id/],
    [{ event_id: 12345678 }, 'event_id', /not an id/],
    [{ frames: 6 }, 'frames', /frames is 6; the cap is 5 \(events.frames_max\)/],
    [{ frames: 1.5 }, 'frames', /whole number/],
    [{ frames: -1 }, 'frames', /whole number/],
    [{ frames: '3' }, 'frames', /whole number/],
    [{ frames_mode: 'after' }, 'frames_mode', /one of "spread", "before"/],
  ];
  for (const [extra, field, message] of cases) {
    await assert.rejects(
      intake.accept(body(extra)),
      (e: ClipError) => e instanceof ClipError && e.field === field && message.test(e.message),
      JSON.stringify(extra),
    );
  }
  assert.deepEqual(files(), []);
  assert.equal(heard.length, 0);
  const fine = await intake.accept(body({ event_id: 'Till_7-R1043-x', frames: 5, frames_mode: 'before' }));
  assert.equal(fine.record.frames_mode, 'before');
  assert.equal(fine.record.frames_requested, 5);
  assert.equal(events.get('Till_7-R1043-x')?.id, 'Till_7-R1043-x', 'GET /api/events/{id} finds it');
});

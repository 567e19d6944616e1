// The event intake and worker as createApp wires them, with real ffmpeg (a synthetic camera) and the
// filesystem store: what they tell reaches the app's event stream in envelopes the schema accepts.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createApp } from '../../src/app.ts';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { AnyEnvelope } from '../../src/events/event-types.ts';
import { createLogger } from '../../src/logger.ts';
import { Redactor } from '../../src/redact.ts';
import { assertEnvelope } from '../support/event-schema.ts';
import { until } from '../support/until.ts';

test("an event taken by the app's intake tells event.accepted, then event.done with its frame keys, on the app's event stream; a repeat tells nothing", async () => {
  const config = loadConfig(undefined, {
    STORAGE: 'filesystem',
    FILESYSTEM_ROOT: mkdtempSync(join(tmpdir(), 'app-events-')),
    TEMP_DIR: mkdtempSync(join(tmpdir(), 'app-events-temp-')),
    METRICS_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    SEGMENT_DURATION: '2s',
    EVENT_POLL_INTERVAL: '500ms',
    CAMERA1_RTSP_URL: 'synthetic:?size=96x64&fps=5&audio=none',
  });
  const redactor = new Redactor();
  const log = createLogger('silent', redactor, new Writable({ write: (_c, _e, done) => done() }));
  const app = createApp({ config, log, redactor, clock: systemClock });
  const heard: AnyEnvelope[] = [];
  app.stream.bus.subscribe((e) => {
    if (e.type.startsWith('event.')) heard.push(e);
  });
  try {
    await app.start();
    await until('a segment stored: footage before the event', () => storedSegments(config.filesystem.root).length > 0, { timeoutMs: 60_000 });
    const body = { camera: 'camera-1', pre_seconds: 1, post_seconds: 1, frames: 2, event_id: 'app-events-0001', metadata: { lane: 1 } };
    const { record } = await app.intake.accept(body);
    assert.equal((await app.intake.accept(body)).duplicate, true);
    await until('event.done or event.failed', () => heard.length >= 2, { timeoutMs: 60_000 });
    assert.deepEqual(
      heard.map((e) => e.type),
      ['event.accepted', 'event.done'],
      JSON.stringify(heard),
    );
    for (const e of heard) {
      assertEnvelope(e);
      assert.equal(e.camera_id, 'camera-1');
    }
    const done = heard[1]!;
    assert.ok(done.type === 'event.done');
    assert.equal(done.data.event_id, record.id);
    assert.deepEqual(
      done.data.frames,
      [1, 2].map((n) => `${done.data.clip_key.replace(/\.mp4$/, '')}/frame-0${n}.png`),
    );
  } finally {
    await app.stop();
  }
});

function storedSegments(root: string): string[] {
  try {
    return readdirSync(join(root, 'camera-1'), { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.mp4'));
  } catch {
    return [];
  }
}

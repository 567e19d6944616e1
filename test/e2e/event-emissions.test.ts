// What the components tell the event stream, seen on the app's own bus with a real RTSP camera, real
// ffmpeg and the filesystem store: the camera's life (added, connected, disconnected with a reason,
// connected again), its segments (recorded, then uploaded with the sha256 of the stored bytes), a
// picture problem on and off, and cameras added and removed over the API. Every envelope must pass
// the published schema, and the camera's state follows.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createApp } from '../../src/app.ts';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { AnyEnvelope } from '../../src/events/event-types.ts';
import { createLogger } from '../../src/logger.ts';
import { Redactor } from '../../src/redact.ts';
import { assertCameraState, assertEnvelope } from '../support/event-schema.ts';
import { startRtspServer } from '../support/rtsp-server.ts';
import { until } from '../support/until.ts';

test('a camera tells its life, its segments and its picture problems as schema-valid envelopes, in order', async (t) => {
  const camera = await startRtspServer({ mounts: { '/cam': 'none' }, size: '320x180' });
  t.after(() => camera.stop());
  const root = mkdtempSync(join(tmpdir(), 'emissions-store-'));
  const config = loadConfig(undefined, {
    STORAGE: 'filesystem',
    FILESYSTEM_ROOT: root,
    TEMP_DIR: mkdtempSync(join(tmpdir(), 'emissions-temp-')),
    METRICS_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    SEGMENT_DURATION: '2s',
    ANALYSIS_ENABLED: 'true',
    API_ALLOW_SYNTHETIC_CAMERAS: 'true',
    RTSP_TIMEOUT: '3s',
    CAMERA1_RTSP_URL: camera.url('/cam'),
  });
  const redactor = new Redactor();
  const app = createApp({ config, log: createLogger('silent', redactor), redactor, clock: systemClock });
  const seen: AnyEnvelope[] = [];
  app.stream.bus.subscribe((e) => seen.push(e));
  t.after(() => app.stop());
  await app.start();
  const of = (type: string, cameraId = 'camera-1') => seen.filter((e) => e.type === type && e.camera_id === cameraId);
  const index = (e: AnyEnvelope | undefined) => (e ? seen.indexOf(e) : -1);

  const uploaded = await until('a segment uploaded', () => of('segment.uploaded')[0], { timeoutMs: 60_000 });
  const added = of('camera.added')[0];
  const connected = of('camera.connected')[0];
  const recorded = of('segment.recorded').find(
    (e) => e.type === 'segment.recorded' && uploaded.type === 'segment.uploaded' && uploaded.data.start.slice(0, 19) <= e.data.end,
  );
  assert.ok(index(added) >= 0 && index(added) < index(connected), 'camera.added comes before camera.connected');
  assert.ok(index(connected) < index(recorded) && index(recorded) < index(uploaded), 'connected, then recorded, then uploaded');
  if (uploaded.type !== 'segment.uploaded') throw new Error('narrowing');
  const stored = readFileSync(join(root, uploaded.data.key));
  assert.equal(uploaded.data.sha256, createHash('sha256').update(stored).digest('hex'), 'the event carries the sha256 of the bytes the store holds');
  assert.equal(uploaded.data.bytes, stored.length);

  await camera.setPicture('/cam', 'black');
  await until('health.problem black', () => of('health.problem').find((e) => e.type === 'health.problem' && e.data.problem === 'black'), { timeoutMs: 60_000 });
  assert.deepEqual(app.stream.states.get('camera-1')?.problems, ['black']);
  await camera.setPicture('/cam', 'normal');
  await until('health.ok black', () => of('health.ok').find((e) => e.type === 'health.ok' && e.data.problem === 'black'), { timeoutMs: 60_000 });

  await camera.kill();
  const down = await until('camera.disconnected', () => of('camera.disconnected')[0], { timeoutMs: 60_000 });
  if (down.type !== 'camera.disconnected') throw new Error('narrowing');
  assert.ok(['stream_ended', 'camera_unreachable', 'stalled'].includes(down.data.reason), `reason ${down.data.reason}`);
  assert.equal(app.stream.states.get('camera-1')?.connected, false);
  await camera.start();
  await until('connected again', () => of('camera.connected')[1], { timeoutMs: 60_000 });
  assert.equal(app.stream.states.get('camera-1')?.connected, true);

  await app.cameras.add({ id: 'lobby', source_type: 'synthetic', source_url: 'synthetic:?size=96x64&fps=5&audio=none', labels: { zone: 'lobby' } });
  await until('lobby connected', () => of('camera.connected', 'lobby')[0], { timeoutMs: 60_000 });
  await app.cameras.remove('lobby');
  assert.ok(of('camera.added', 'lobby')[0] && of('camera.removed', 'lobby')[0]);
  assert.equal(app.stream.states.get('lobby'), undefined, 'a removed camera has no state');

  for (const e of seen) assertEnvelope(e);
  for (const s of app.stream.states.all()) assertCameraState(s);
  assert.ok(!JSON.stringify(seen).includes(camera.url('/cam')), 'no camera URL in any event');
});

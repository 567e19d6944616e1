// The service as createApp wires it, with real ffmpeg (synthetic cameras) and the filesystem store:
// a camera added at runtime records and uploads with its labels, is stored where the next start
// finds it, and once removed its last segments are uploaded and its series leave /metrics.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createApp } from '../../src/app.ts';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/logger.ts';
import { Redactor } from '../../src/redact.ts';
import { META_SUFFIX } from '../../src/storage/fs-store.ts';
import { until } from '../support/until.ts';

function storedSegments(root: string, camera: string): string[] {
  try {
    return readdirSync(join(root, camera), { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.mp4'));
  } catch {
    return [];
  }
}

function app(root: string, opts: { lines?: string[]; env?: Record<string, string>; tempDir?: string } = {}) {
  const config = loadConfig(undefined, {
    STORAGE: 'filesystem',
    FILESYSTEM_ROOT: root,
    TEMP_DIR: opts.tempDir ?? mkdtempSync(join(tmpdir(), 'app-cameras-temp-')),
    METRICS_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    SEGMENT_DURATION: '2s',
    SHUTDOWN_GRACE: '20s',
    CAMERA1_RTSP_URL: 'synthetic:?size=96x64&fps=5&audio=none',
    API_ALLOW_SYNTHETIC_CAMERAS: 'true',
    ...opts.env,
  });
  const redactor = new Redactor();
  const lines = opts.lines;
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines?.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return createApp({ config, log: createLogger(lines ? 'debug' : 'silent', redactor, out), redactor, clock: systemClock });
}

/** Every file under a directory, as text. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).flatMap((n) => {
    try {
      return [readFileSync(join(dir, n), 'utf8')];
    } catch {
      return []; // a directory
    }
  });
}

test("a runtime camera's password is in no log line, no metric, and not in plain text in the bucket or the local copy", async () => {
  const password = 'Secret-Pw-99%40x';
  const forms = [password, decodeURIComponent(password), 'Secret-Pw'];
  const root = mkdtempSync(join(tmpdir(), 'app-cameras-secret-'));
  const tempDir = mkdtempSync(join(tmpdir(), 'app-cameras-secret-temp-'));
  const lines: string[] = [];
  const service = app(root, { lines, tempDir, env: { CAMERA_SECRETS_KEY: 'ab'.repeat(32) } });
  try {
    await service.start();
    // a port nothing listens on: ffprobe and ffmpeg fail, and their errors are logged
    const view = await service.cameras.add({ id: 'locked', source_type: 'rtsp', source_url: `rtsp://admin:${password}@127.0.0.1:1/x`, labels: {} });
    assert.equal(view.source_url, 'rtsp://admin:***@127.0.0.1:1/x');
    await until("the camera's failure is logged", () => lines.some((l) => l.includes('"camera":"locked"') && l.includes('"level":"warn"')));
    await service.cameras.change('locked', { labels: { site: 'x' } });
    const metrics = await service.metrics.registry.metrics();
    for (const form of forms) {
      assert.ok(!lines.some((l) => l.includes(form)), `${form} in a log line`);
      assert.ok(!metrics.includes(form), `${form} in /metrics`);
      assert.ok(!JSON.stringify(service.cameras.list()).includes(form), `${form} in the camera list`);
      for (const text of [...filesUnder(join(root, '_cameras')), ...filesUnder(join(tempDir, '.cameras'))])
        assert.ok(!text.includes(form), `${form} stored in plain text`);
    }
  } finally {
    await service.stop();
  }
});

test('a runtime camera records and uploads with its labels, comes back at the next start, and once removed leaves no series', async () => {
  const root = mkdtempSync(join(tmpdir(), 'app-cameras-store-'));
  const first = app(root);
  try {
    await first.start();
    await first.cameras.add({ id: 'extra', source_type: 'synthetic', source_url: 'synthetic:?size=96x64&fps=5&audio=none', labels: { site: 'store-12' } });
    await until('a segment of extra in the store', () => storedSegments(root, 'extra').length >= 1);
    const meta = JSON.parse(readFileSync(join(root, 'extra', `${storedSegments(root, 'extra')[0]}${META_SUFFIX}`), 'utf8')) as {
      metadata: Record<string, string>;
    };
    assert.equal(meta.metadata['label-site'], 'store-12');
    assert.match(await first.metrics.registry.metrics(), /camera_info\{camera_id="extra",site="store-12"\} 1/);
  } finally {
    await first.stop();
  }

  const secondTemp = mkdtempSync(join(tmpdir(), 'app-cameras-temp-'));
  const second = app(root, { tempDir: secondTemp }); // a new pod: the runtime camera comes from the store
  try {
    await second.start();
    assert.deepEqual(
      second.cameras.list().map((c) => [c.id, c.origin]),
      [
        ['camera-1', 'config'],
        ['extra', 'api'],
      ],
    );
    const before = storedSegments(root, 'extra').length;
    await until('extra records again', () => storedSegments(root, 'extra').length > before);
    const removed = await second.cameras.remove('extra');
    assert.equal(removed.id, 'extra');
    await until("extra's last segments are uploaded", () => second.uploader.waiting().every((w) => w.cameraId !== 'extra'));
    await until("extra's series are gone from /metrics", async () => !(await second.metrics.registry.metrics()).includes('camera_id="extra"'));
    await until("extra's folder in temp_dir is gone", () => !existsSync(join(secondTemp, 'extra')));
    assert.match(await second.metrics.registry.metrics(), /camera_segments_recorded_total\{camera_id="camera-1"\}/);
    assert.deepEqual(
      readdirSync(join(root, '_cameras')).filter((n) => !n.endsWith(META_SUFFIX)),
      [],
      'its record is deleted',
    );
  } finally {
    await second.stop();
  }
});

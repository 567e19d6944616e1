// ffmpeg and ffprobe parse untrusted input: they must not inherit the service's secrets. Each is
// run through a wrapper that records its environment, then execs the real binary.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { objectKey } from '../../src/camera/segment-name.ts';
import { checkBinaries } from '../../src/cli/preflight.ts';
import { exportClip } from '../../src/clips/export-clip.ts';
import { probe } from '../../src/media/ffprobe.ts';
import { makeSegment } from '../support/media.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { storeFile } from '../../src/storage/store-file.ts';

const SECRETS = {
  S3_SECRET_ACCESS_KEY: 'child-env-S3-secret-4f1c',
  S3_ACCESS_KEY_ID: 'CHILDENVACCESSKEY',
  API_TOKEN: 'child-env-api-token-77',
  CAMERA1_RTSP_URL: 'rtsp://viewer:child-env-campass@127.0.0.1:1/cam',
};
const saved = Object.fromEntries([...Object.keys(SECRETS), 'TZ'].map((k) => [k, process.env[k]]));
Object.assign(process.env, SECRETS, { TZ: 'Etc/UTC' });
after(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const dir = mkdtempSync(join(tmpdir(), 'child-env-'));
const envDir = mkdtempSync(join(dir, 'env-'));
function wrapper(name: string): string {
  const real = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\nenv > "${envDir}/${name}.$$"\nexec "${real}" "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}
const ffmpegPath = wrapper('ffmpeg');
const ffprobePath = wrapper('ffprobe');

test("ffmpeg and ffprobe get PATH and TZ but none of the service's secrets", async () => {
  await checkBinaries([{ key: 'recorder.ffmpeg_path', env: 'FFMPEG_PATH', path: ffmpegPath }]);
  const segment = join(dir, 'a.mp4');
  makeSegment(segment, 2);
  await probe(segment, { ffprobePath, timeoutMs: 30_000 });
  const store = new MemoryStore();
  const t0 = Date.UTC(2025, 11, 14, 14, 3, 10);
  for (const [i, startMs] of [t0, t0 + 2000].entries()) {
    const path = join(dir, `s${i}.mp4`);
    makeSegment(path, 2);
    await storeFile(store, {
      key: objectKey('camera-1', startMs),
      path,
      contentType: 'video/mp4',
      signal: AbortSignal.timeout(10_000),
      metadata: { start: new Date(startMs).toISOString(), end: new Date(startMs + 2000).toISOString(), duration: '2.000' },
    });
  }
  // A start inside the first segment: the key-frame lookup (ffprobe), the join (ffmpeg), the final probe.
  await exportClip({ store, cameraId: 'camera-1', fromMs: t0 + 500, toMs: t0 + 3500, outPath: join(dir, 'clip.mp4'), ffmpegPath, ffprobePath, workDir: dir });

  const seen = readdirSync(envDir).map((f) => ({ f, text: readFileSync(join(envDir, f), 'utf8') }));
  assert.deepEqual([...new Set(seen.map((s) => s.f.split('.')[0]))].sort(), ['ffmpeg', 'ffprobe']);
  assert.ok(seen.length >= 5, `expected every run recorded, got ${seen.map((s) => s.f).join(', ')}`);
  for (const { f, text } of seen) {
    assert.match(text, /^PATH=/m, f);
    assert.match(text, /^TZ=Etc\/UTC$/m, f);
    for (const [name, value] of Object.entries(SECRETS)) {
      assert.ok(!text.includes(value) && !new RegExp(`^${name}=`, 'm').test(text), `${f} received ${name}`);
    }
  }
});

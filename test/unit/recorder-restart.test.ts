// One camera's recorder with a real ffmpeg (a synthetic camera), killed again and again right after
// it opened a segment, each restart within the same second: no name may repeat (a repeated name
// truncates a file not yet uploaded, or overwrites its object), no frameless file may be handed
// on as a segment, and nothing may be left behind.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { CameraRecorder } from '../../src/camera/recorder.ts';
import { objectKey } from '../../src/camera/segment-name.ts';
import { systemClock } from '../../src/clock.ts';
import { holdsNoFrame } from '../../src/media/mp4-structure.ts';
import { createMetrics } from '../../src/metrics.ts';
import { makeSegment } from '../support/media.ts';
import { until } from '../support/until.ts';
import { lineLogger } from '../support/line-logger.ts';

const KILLS = 4;

/** The pid in ffmpeg's pid file, or '' while there is none: the recorder removes it as soon as ffmpeg exits, so it can go between a check and a read. */
function readPid(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

function startRecorder(tempDir: string, storeDir: string) {
  const { log, lines } = lineLogger();
  const stored: string[] = [];
  const recorder = new CameraRecorder({
    camera: { id: 'cam', url: 'synthetic:?size=160x120&fps=15&audio=none' },
    settings: {
      tempDir,
      segmentDurationMs: 4000,
      rtspTimeoutMs: 3000,
      stallTimeoutMs: 20_000,
      restartInitialMs: 50,
      restartMaxMs: 100,
      stableAfterMs: 60_000,
      stopTimeoutMs: 10_000,
      ffmpegPath: 'ffmpeg',
      ffprobePath: 'ffprobe',
    },
    log,
    metrics: createMetrics(),
    clock: systemClock,
    // an upload that is done at once: copied under its object key, then deleted locally
    onSegment: (segment) => {
      const key = objectKey(segment.cameraId, segment.startMs);
      stored.push(key);
      mkdirSync(dirname(join(storeDir, key)), { recursive: true });
      copyFileSync(segment.path, join(storeDir, key));
      unlinkSync(segment.path);
    },
  });
  recorder.start();
  return { recorder, lines, stored };
}

const duplicates = (keys: string[]): string[] => keys.filter((key, i) => keys.indexOf(key) !== i);

test('ffmpeg killed right after opening a segment, restarted within the same second: no name repeats, no frameless segment is handed on, nothing is left behind', async () => {
  const tempDir = mkdtempSync(join(tmpdir(), 'recorder-restart-'));
  const storeDir = mkdtempSync(join(tmpdir(), 'recorder-restart-store-'));
  const { recorder, lines, stored } = startRecorder(tempDir, storeDir);
  const cameraDir = join(tempDir, 'cam');
  const pidFile = join(cameraDir, '.ffmpeg.pid');
  const segmentsOnDisk = (): string[] => (existsSync(cameraDir) ? readdirSync(cameraDir).filter((n) => n.endsWith('.mp4')) : []);
  try {
    let killed = '';
    for (let i = 0; i < KILLS; i++) {
      // a new ffmpeg that has just opened its first segment
      const pid = await until(`ffmpeg run ${i + 1} opening a segment`, () => {
        const pid = readPid(pidFile);
        return pid !== '' && pid !== killed && segmentsOnDisk().length > 0 ? pid : undefined;
      });
      process.kill(Number(pid), 'SIGKILL');
      killed = pid;
    }
    // then a run that records a whole segment
    await until('a whole segment', () => stored.length > 0 && lines.some((l) => l.includes('"partial":false')));
  } finally {
    await recorder.stop();
  }

  assert.deepEqual(duplicates(stored), [], 'an object key handed on twice (the later one overwrites the first)');
  for (const key of stored) assert.equal(await holdsNoFrame(join(storeDir, key)), false, `${key} was handed on without a frame`);
  assert.deepEqual(segmentsOnDisk(), [], 'segments left behind in TEMP_DIR');
  assert.ok(lines.filter((l) => l.includes('segment holds no frame')).length >= 1, 'the frameless files were removed with an info line');
  assert.equal(lines.filter((l) => l.includes('"level":"error"')).length, 0, 'nothing logged at error');
});

test('segments left on disk named for this very second (an orphaned ffmpeg, an earlier process) are not overwritten by the first run', async () => {
  const tempDir = mkdtempSync(join(tmpdir(), 'recorder-leftover-'));
  const storeDir = mkdtempSync(join(tmpdir(), 'recorder-leftover-store-'));
  const cameraDir = join(tempDir, 'cam');
  mkdirSync(cameraDir, { recursive: true });
  makeSegment(join(tempDir, 'model.mp4'), 2);
  const model = readFileSync(join(tempDir, 'model.mp4'));
  // named for this second and the next two: ffmpeg opens its first segment well within that
  const now = Math.floor(Date.now() / 1000) * 1000;
  const leftovers = [0, 1, 2].map((s) => {
    const name = `${new Date(now + s * 1000).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}.mp4`;
    copyFileSync(join(tempDir, 'model.mp4'), join(cameraDir, name));
    return objectKey('cam', now + s * 1000);
  });
  const { recorder, lines, stored } = startRecorder(tempDir, storeDir);
  try {
    await until('a whole segment', () => lines.some((l) => l.includes('"partial":false')));
  } finally {
    await recorder.stop();
  }
  assert.deepEqual(duplicates(stored), [], 'an object key handed on twice (the later one overwrites the first)');
  for (const key of leftovers) {
    assert.ok(stored.includes(key), `${key} handed on`);
    assert.ok(readFileSync(join(storeDir, key)).equals(model), `${key}: the leftover's bytes were overwritten`);
  }
});

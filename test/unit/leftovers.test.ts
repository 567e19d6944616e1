import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { Redactor } from '../../src/redact.ts';
import { findLeftovers } from '../../src/storage/leftovers.ts';
import { makeSegment } from '../support/media.ts';

test('a segment an earlier run left without a single frame is removed at start, not handed to the uploader', async () => {
  const tempDir = mkdtempSync(join(tmpdir(), 'leftovers-'));
  const cameraDir = join(tempDir, 'camera-1');
  mkdirSync(cameraDir);
  const frameless = join(cameraDir, '20261201-000010.mp4');
  // what ffmpeg leaves when it is stopped right after opening a segment: ftyp and moov, no fragment
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-frames:v', '0',
    '-c:v', 'libx264', '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', frameless]);
  const withFrames = join(cameraDir, '20261201-000000.mp4');
  makeSegment(withFrames, 2);

  const found = await findLeftovers(tempDir, { clock: systemClock, log: createLogger('silent', new Redactor()), timeoutMs: 1000 });

  assert.deepEqual(
    found.map((s) => s.path),
    [withFrames],
    'only the segment with frames is left to upload',
  );
  assert.equal(existsSync(frameless), false, 'the frameless file is removed');
  assert.equal(existsSync(withFrames), true);
});

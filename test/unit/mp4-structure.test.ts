import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { checkFragmentedMp4, holdsNoFrame } from '../../src/media/mp4-structure.ts';
import { makeSegment } from '../support/media.ts';

let dir: string;
let segment: Buffer;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mp4-structure-'));
  makeSegment(join(dir, 'segment.mp4'), 4);
  segment = readFileSync(join(dir, 'segment.mp4'));
});

function write(name: string, bytes: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('fragmented MP4 structure check', () => {
  test('a segment as ffmpeg writes it passes, with one fragment per key frame', async () => {
    // 4 s at 15 fps with a key frame every 30 frames: 2 fragments
    assert.deepEqual(await checkFragmentedMp4(join(dir, 'segment.mp4')), { ok: true, fragments: 2 });
  });

  test('a segment cut short in its last fragment fails, naming the box that runs past the end', async () => {
    const check = await checkFragmentedMp4(write('cut.mp4', segment.subarray(0, segment.length - 1000)));
    assert.equal(check.ok, false);
    assert.match((check as { why: string }).why, /"mdat" box at byte \d+ runs past the end of the file/);
  });

  test('a segment cut right after a box still tiles the file, but is caught when nothing follows the moov', async () => {
    const moovEnd = segment.indexOf('moof', 0, 'latin1') - 4;
    const check = await checkFragmentedMp4(write('header-only.mp4', segment.subarray(0, moovEnd)));
    assert.deepEqual(check, { ok: false, why: 'no fragment (moof) after the moov' });
  });

  test('a file that is not an MP4 fails', async () => {
    const check = await checkFragmentedMp4(write('text.mp4', 'this is not an mp4 file at all'));
    assert.equal(check.ok, false);
  });

  test('an MP4 without video fails', async () => {
    const path = join(dir, 'audio-only.mp4');
    // biome-ignore format: ffmpeg arguments read as flag-value pairs
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=3:sample_rate=16000',
      '-c:a', 'aac', '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', path]);
    assert.deepEqual(await checkFragmentedMp4(path), { ok: false, why: 'no video track in moov' });
  });

  test('a plain (not fragmented) MP4 fails, so the uploader falls back to ffprobe for it', async () => {
    const path = join(dir, 'plain.mp4');
    // biome-ignore format: ffmpeg arguments read as flag-value pairs
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', join(dir, 'segment.mp4'), '-c', 'copy', '-f', 'mp4', path]);
    assert.deepEqual(await checkFragmentedMp4(path), { ok: false, why: 'no fragment (moof) after the moov' });
  });
});

describe('a segment that holds no frame', () => {
  const moovEnd = (): number => segment.indexOf('moof', 0, 'latin1') - 4;

  test('ftyp+moov alone, as ffmpeg leaves a segment it was stopped in right after opening it, holds no frame', async () => {
    assert.equal(await holdsNoFrame(write('opened.mp4', segment.subarray(0, moovEnd()))), true);
  });

  test('a file ffmpeg finished without a single frame (ftyp, moov, mfra) holds no frame', async () => {
    const path = join(dir, 'no-frames.mp4');
    // biome-ignore format: ffmpeg arguments read as flag-value pairs
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-frames:v', '0',
      '-c:v', 'libx264', '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', path]);
    assert.equal(await holdsNoFrame(path), true);
  });

  test('an empty file, and one cut inside its moov or inside the next box header, hold no frame', async () => {
    assert.equal(await holdsNoFrame(write('empty.mp4', Buffer.alloc(0))), true);
    assert.equal(await holdsNoFrame(write('in-moov.mp4', segment.subarray(0, 300))), true);
    assert.equal(await holdsNoFrame(write('in-header.mp4', segment.subarray(0, moovEnd() + 4))), true);
  });

  test('a whole segment, and one cut short in its first fragment, hold frames', async () => {
    assert.equal(await holdsNoFrame(join(dir, 'segment.mp4')), false);
    assert.equal(await holdsNoFrame(write('cut-in-first.mp4', segment.subarray(0, moovEnd() + 2000))), false);
    assert.equal(await holdsNoFrame(write('cut-late.mp4', segment.subarray(0, segment.length - 1000))), false);
  });

  test('a file that is not our MP4 is not called frameless: the uploader checks it and quarantines it', async () => {
    assert.equal(await holdsNoFrame(write('garbage.mp4', 'this is not an mp4 file at all')), false);
    assert.equal(await holdsNoFrame(write('moov-first.mp4', segment.subarray(28, moovEnd()))), false);
  });
});

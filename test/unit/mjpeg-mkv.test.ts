// The Matroska stream a push camera's ffmpeg reads: ffprobe finds the one MJPEG track at the
// pictures' size, and every picture at the time we stamped it (not when it was read), across a
// new cluster after 30 s; a stamp that does not rise is moved 1 ms after the one before.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MjpegMkv } from '../../src/ingest/mjpeg-mkv.ts';
import { jpegPictures } from '../support/jpeg-pictures.ts';

test('ffprobe reads the stream as MJPEG at its size, each picture at its stamp, over two clusters, stamps kept rising', () => {
  const pictures = jpegPictures(6, '320x180');
  const t0 = 1_764_581_234_000;
  const stamps = [t0, t0 + 500, t0 + 1000, t0 + 40_000, t0 + 40_000, t0 + 39_000];
  const mkv = new MjpegMkv();
  const path = join(mkdtempSync(join(tmpdir(), 'mjpeg-mkv-')), 'pictures.mkv');
  writeFileSync(path, Buffer.concat([mkv.header(320, 180), ...pictures.map((p, i) => mkv.block(p, stamps[i]!))]));
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  const out = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height:packet=pts,size', '-of', 'json', path], { encoding: 'utf8' })) as {
    streams: { codec_name: string; width: number; height: number }[];
    packets: { pts: number; size: string }[];
  };
  assert.deepEqual(out.streams, [{ codec_name: 'mjpeg', width: 320, height: 180 }]);
  assert.deepEqual(
    out.packets.map((p) => p.pts),
    [t0, t0 + 500, t0 + 1000, t0 + 40_000, t0 + 40_001, t0 + 40_002],
  );
  assert.deepEqual(
    out.packets.map((p) => Number(p.size)),
    pictures.map((p) => p.length),
  );
});

// JpegTap splits ffmpeg's image2pipe stream into whole JPEGs and keeps the newest one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { JpegTap, jpegEnd } from '../../src/frames/jpeg-tap.ts';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A real JPEG from ffmpeg's mjpeg encoder, as the snapshot branch writes them. */
const jpegOf = (color: string): Buffer =>
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=320x180,drawbox=c=${color}:t=fill:w=100:h=100`, '-frames:v', '1', '-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-q:v', '5', '-f', 'image2pipe', 'pipe:1']);

test('JPEGs split across chunks are cut whole, and the newest one is kept', async () => {
  const pictures = [jpegOf('red'), jpegOf('green'), jpegOf('blue')];
  const pipe = new PassThrough();
  let now = 0;
  const tap = new JpegTap(pipe, { now: () => ++now });
  const all = Buffer.concat(pictures);
  for (let at = 0; at < all.length; at += 997) {
    pipe.write(all.subarray(at, at + 997));
    await tick();
    assert.equal(pipe.isPaused(), false);
  }
  assert.equal(tap.received, 3);
  assert.ok(tap.latest?.jpeg.equals(pictures[2] as Buffer));
  assert.equal(tap.skippedBytes, 0);
});

test('header segments may hold FF D9 and entropy data stuffed bytes and restart markers: only the real EOI ends a picture', () => {
  // biome-ignore format: a JPEG's markers, one per line
  const jpeg = Buffer.from([
    0xff, 0xd8,
    0xff, 0xdb, 0x00, 0x06, 0xff, 0xd9, 0xff, 0xd9, // a table whose values happen to read FF D9
    0xff, 0xda, 0x00, 0x04, 0x01, 0x02,             // start of scan
    0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56,       // stuffed FF, a restart marker
    0xff, 0xd9,
  ]);
  assert.equal(jpegEnd(jpeg), jpeg.length);
  assert.equal(jpegEnd(jpeg.subarray(0, jpeg.length - 1)), undefined);
  assert.equal(jpegEnd(jpeg.subarray(0, 9)), undefined);
});

test('bytes that are not a JPEG are skipped up to the next picture, which is kept', async () => {
  const picture = jpegOf('red');
  const pipe = new PassThrough();
  const tap = new JpegTap(pipe);
  pipe.write(Buffer.concat([Buffer.from('not a jpeg'), picture]));
  await tick();
  assert.equal(tap.received, 1);
  assert.ok(tap.latest?.jpeg.equals(picture));
  assert.equal(tap.skippedBytes, 'not a jpeg'.length);
});

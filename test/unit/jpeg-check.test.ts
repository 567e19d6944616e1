// The cheap check of a pushed picture: real JPEGs pass with their size; a picture that is not a
// JPEG, is cut short, has no frame header, or is over the limit is refused with the reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkJpeg } from '../../src/ingest/jpeg-check.ts';
import { PushRefused } from '../../src/ingest/push-refused.ts';
import { jpegPictures } from '../support/jpeg-pictures.ts';

const [picture] = jpegPictures(1, '321x181') as [Buffer];

function refusal(buf: Buffer, max = 2 ** 21): PushRefused {
  try {
    checkJpeg(buf, max);
  } catch (err) {
    assert.ok(err instanceof PushRefused, String(err));
    return err;
  }
  assert.fail('the picture was taken');
}

test('a JPEG made by ffmpeg passes with its width and height, also with zero padding after its end', () => {
  assert.deepEqual(checkJpeg(picture, 2 ** 21), { width: 321, height: 181 });
  assert.deepEqual(checkJpeg(Buffer.concat([picture, Buffer.alloc(7)]), 2 ** 21), { width: 321, height: 181 });
});

test('a PNG, text, and an empty body are not JPEGs', () => {
  for (const body of [Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.from('hello'), Buffer.alloc(0)]) {
    const r = refusal(body);
    assert.equal(r.kind, 'not_jpeg');
    assert.match(r.message, /SOI/);
  }
});

test('a JPEG cut short is refused for its missing end', () => {
  const r = refusal(picture.subarray(0, picture.length - 100));
  assert.equal(r.kind, 'not_jpeg');
  assert.match(r.message, /cut short.*EOI/);
});

test('a JPEG without a frame header is refused: SOI and EOI alone say nothing of the picture', () => {
  const r = refusal(Buffer.from([0xff, 0xd8, 0xff, 0xfe, 0x00, 0x04, 0x41, 0x42, 0xff, 0xd9]));
  assert.equal(r.kind, 'not_jpeg');
  assert.match(r.message, /SOF/);
});

test('a picture over the limit is refused as too large, naming both sizes and the setting', () => {
  const r = refusal(picture, picture.length - 1);
  assert.equal(r.kind, 'too_large');
  assert.match(r.message, new RegExp(`${picture.length} bytes.*${picture.length - 1} bytes.*push.max_frame_bytes`));
});

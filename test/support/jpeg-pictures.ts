// Real JPEG pictures for push-camera tests: ffmpeg renders a lavfi test source once, and the stream
// is split into pictures where each one ends (jpegEnd, the snapshot reader's own parser).
import { execFileSync } from 'node:child_process';
import { jpegEnd } from '../../src/frames/jpeg-tap.ts';

/** `count` JPEGs of `size` (e.g. "1280x720") from testsrc, a different picture each. */
export function jpegPictures(count: number, size: string): Buffer[] {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  let rest = execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=2`,
    '-frames:v', String(count), '-q:v', '5', '-f', 'image2pipe', '-c:v', 'mjpeg', '-',
  ], { maxBuffer: 256 * 1024 * 1024 });
  const pictures: Buffer[] = [];
  while (rest.length > 0) {
    const end = jpegEnd(rest);
    if (end === undefined) throw new Error(`ffmpeg's JPEG stream ends inside a picture after ${pictures.length}`);
    pictures.push(rest.subarray(0, end));
    rest = rest.subarray(end);
  }
  if (pictures.length !== count) throw new Error(`ffmpeg gave ${pictures.length} pictures, not ${count}`);
  return pictures;
}

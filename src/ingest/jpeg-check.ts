// The cheap check of a pushed picture before it goes to ffmpeg: the markers a complete baseline or
// progressive JPEG must have (SOI first, a SOF with the picture's size, EOI last), nothing decoded.
// A picture that passes can still be damaged inside; ffmpeg then skips it and the recording goes on.
import { PushRefused } from './push-refused.ts';

export interface JpegSize {
  width: number;
  height: number;
}

/** Start-of-frame markers: SOF0-SOF15 but DHT (C4), JPG (C8) and DAC (CC), which share the range. */
const isSof = (marker: number): boolean => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
const SOS = 0xda;
const HOW = 'send one complete JPEG picture (image/jpeg) per request';

/** The picture's size; throws PushRefused ('too_large' or 'not_jpeg', saying what is wrong). */
export function checkJpeg(buf: Buffer, maxBytes: number): JpegSize {
  if (buf.length > maxBytes)
    throw new PushRefused(
      'too_large',
      `the picture is ${buf.length} bytes, over the limit of ${maxBytes} bytes: send it smaller (lower resolution or JPEG quality) or raise push.max_frame_bytes`,
    );
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8)
    throw new PushRefused('not_jpeg', `the picture does not start like a JPEG (no SOI marker FF D8): ${HOW}`);
  // trailing zero padding after EOI is common from some encoders; tolerate it
  let end = buf.length;
  while (end > 2 && buf[end - 1] === 0) end--;
  if (buf[end - 2] !== 0xff || buf[end - 1] !== 0xd9) throw new PushRefused('not_jpeg', `the JPEG is cut short (no EOI marker FF D9 at its end): ${HOW}`);
  // header segments carry their length: walk them up to the start of scan, looking for the frame header
  let at = 2;
  while (at + 4 <= end) {
    if (buf[at] !== 0xff) break;
    const marker = buf[at + 1] as number;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    const length = buf.readUInt16BE(at + 2);
    if (isSof(marker)) {
      if (at + 9 > end) break;
      const height = buf.readUInt16BE(at + 5);
      const width = buf.readUInt16BE(at + 7);
      if (width === 0 || height === 0) throw new PushRefused('not_jpeg', `the JPEG says its picture is ${width}×${height}: ${HOW}`);
      return { width, height };
    }
    if (marker === SOS) break;
    at += 2 + length;
  }
  throw new PushRefused('not_jpeg', `the JPEG has no frame header (SOF marker) with the picture's size before its image data: ${HOW}`);
}

// The pictures of a push camera as a live Matroska stream of MJPEG (V_MJPEG), written to ffmpeg's
// stdin: one SimpleBlock per picture, stamped with the time we took it. A bare JPEG stream
// (image2pipe) has no timestamps, so ffmpeg would stamp each picture when it reads it — late by
// its own start-up (a second and more on a loaded host), which squeezed the first pictures of a
// run together. Segment and clusters have unknown sizes, as in live WebM: ffmpeg reads each block
// as it comes. Only what this needs of EBML: element ids, sizes, unsigned integers, strings.

/** EBML's unknown size: the element ends where an element of its parent's level begins. */
const UNKNOWN_SIZE = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
/** A block's time is a signed 16-bit offset (ms) from its cluster's: a new cluster before it overflows. */
const MAX_OFFSET_MS = 30_000;

function size(n: number): Buffer {
  // 8-byte form for everything: simple, and any reader takes it
  const b = Buffer.alloc(8);
  b.writeUInt8(0x01, 0);
  b.writeUIntBE(n, 2, 6);
  return b;
}

function element(id: number, body: Buffer): Buffer {
  const idBytes = Buffer.from(id.toString(16).padStart(id > 0xffffff ? 8 : id > 0xffff ? 6 : id > 0xff ? 4 : 2, '0'), 'hex');
  return Buffer.concat([idBytes, size(body.length), body]);
}

const uint = (id: number, value: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value));
  return element(id, b);
};
const text = (id: number, value: string): Buffer => element(id, Buffer.from(value, 'ascii'));

/** Writes a Matroska stream of JPEG pictures: header() once, then block() per picture. */
export class MjpegMkv {
  #clusterMs: number | undefined;
  #lastMs = -Infinity;

  /** EBML header, the open Segment, its Info and the one video track. */
  header(width: number, height: number): Buffer {
    const ebml = element(
      0x1a45dfa3,
      Buffer.concat([uint(0x4286, 1), uint(0x42f7, 1), uint(0x42f2, 4), uint(0x42f3, 8), text(0x4282, 'matroska'), uint(0x4287, 4), uint(0x4285, 2)]),
    );
    const info = element(0x1549a966, Buffer.concat([uint(0x2ad7b1, 1_000_000), text(0x4d80, 'camera-recorder'), text(0x5741, 'camera-recorder')]));
    const video = element(0xe0, Buffer.concat([uint(0xb0, width), uint(0xba, height)]));
    const track = element(0xae, Buffer.concat([uint(0xd7, 1), uint(0x73c5, 1), uint(0x83, 1), text(0x86, 'V_MJPEG'), video]));
    return Buffer.concat([ebml, Buffer.from([0x18, 0x53, 0x80, 0x67]), UNKNOWN_SIZE, info, element(0x1654ae6b, track)]);
  }

  /** One picture at `atMs` (ms since the epoch; kept strictly rising, so a clock step back cannot reorder pictures). */
  block(jpeg: Buffer, atMs: number): Buffer {
    const ms = Math.max(Math.round(atMs), this.#lastMs + 1);
    this.#lastMs = ms;
    const parts: Buffer[] = [];
    if (this.#clusterMs === undefined || ms - this.#clusterMs > MAX_OFFSET_MS) {
      this.#clusterMs = ms;
      parts.push(Buffer.from([0x1f, 0x43, 0xb6, 0x75]), UNKNOWN_SIZE, uint(0xe7, ms));
    }
    const head = Buffer.alloc(4);
    head.writeUInt8(0x81, 0); // track 1
    head.writeInt16BE(ms - this.#clusterMs, 1);
    head.writeUInt8(0x80, 3); // key frame
    parts.push(Buffer.from([0xa3]), size(head.length + jpeg.length), head, jpeg);
    return Buffer.concat(parts);
  }
}

// Reads the snapshot pipe (one JPEG per key frame from the recording's ffmpeg, see jpegTapArgs) and
// keeps only the newest complete JPEG in memory, for snapshot requests to be answered from.
// Like FrameTap it never pauses the stream: a full pipe would stall the recording in the same ffmpeg.
import type { Readable } from 'node:stream';

export interface TapJpeg {
  jpeg: Buffer;
  /** When its last byte was read (ms since the epoch). */
  atMs: number;
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const isRestart = (marker: number): boolean => marker >= 0xd0 && marker <= 0xd7;

/**
 * Where the JPEG at the start of `buf` ends (the index after its EOI), or undefined while it is
 * incomplete. Header segments carry their length and may hold any byte, so they are skipped by
 * length; only the entropy-coded data after SOS is scanned, where 0xFF is always followed by 0x00
 * (a stuffed byte) or a restart marker, so the first other marker ends the scan.
 */
export function jpegEnd(buf: Buffer): number | undefined {
  if (buf.length < 2) return undefined;
  if (buf[0] !== 0xff || buf[1] !== SOI) throw new Error('jpeg tap: the pipe is not a JPEG stream (no SOI where a picture should start)');
  let at = 2;
  for (;;) {
    while (at < buf.length && buf[at] === 0xff && buf[at + 1] === 0xff) at++; // fill bytes
    if (at + 2 > buf.length) return undefined;
    if (buf[at] !== 0xff) throw new Error(`jpeg tap: expected a marker at byte ${at}`);
    const marker = buf[at + 1] as number;
    if (marker === EOI) return at + 2;
    if (at + 4 > buf.length) return undefined;
    const segmentEnd = at + 2 + buf.readUInt16BE(at + 2);
    if (marker !== SOS) {
      at = segmentEnd;
      continue;
    }
    // Entropy-coded data: up to the first 0xFF that is not stuffing or a restart marker.
    let scan = segmentEnd;
    for (;;) {
      scan = buf.indexOf(0xff, scan);
      if (scan < 0 || scan + 1 >= buf.length) return undefined;
      const next = buf[scan + 1] as number;
      if (next === 0x00 || isRestart(next)) {
        scan += 2;
        continue;
      }
      break;
    }
    at = scan;
  }
}

export class JpegTap {
  readonly #now: () => number;
  #pending: Buffer = Buffer.alloc(0);
  #latest: TapJpeg | undefined;
  #received = 0;
  #skippedBytes = 0;

  readonly #onJpeg: ((jpeg: TapJpeg) => void) | undefined;

  /** onJpeg: told of each new JPEG, synchronously (keep it cheap: store it, don't process it there). */
  constructor(source: Readable, opts: { now?: () => number; onJpeg?: (jpeg: TapJpeg) => void } = {}) {
    this.#now = opts.now ?? Date.now;
    this.#onJpeg = opts.onJpeg;
    // 'data' keeps the stream flowing for good: nothing here ever calls pause().
    source.on('data', (chunk: Buffer) => this.#read(chunk));
  }

  /** The newest complete JPEG, or undefined before the first. */
  get latest(): TapJpeg | undefined {
    return this.#latest;
  }

  /** Complete JPEGs read from the pipe. */
  get received(): number {
    return this.#received;
  }

  /** Bytes thrown away to find the start of the next JPEG after data that was not one (0 when all is well). */
  get skippedBytes(): number {
    return this.#skippedBytes;
  }

  #read(chunk: Buffer): void {
    // A JPEG arrives in a few chunks (tens of KiB through a 64 KiB pipe): joining them is cheap.
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    for (;;) {
      let end: number | undefined;
      try {
        end = jpegEnd(this.#pending);
      } catch {
        this.#resync();
        continue;
      }
      if (end === undefined) return;
      const latest = { jpeg: Buffer.from(this.#pending.subarray(0, end)), atMs: this.#now() };
      this.#latest = latest;
      this.#received++;
      this.#onJpeg?.(latest);
      this.#pending = this.#pending.subarray(end);
    }
  }

  /** Drops bytes up to the next SOI: a broken picture must not stop every later one. */
  #resync(): void {
    let next = this.#pending.indexOf(0xff, 1);
    while (next >= 0 && this.#pending[next + 1] !== SOI) next = this.#pending.indexOf(0xff, next + 1);
    const drop = next < 0 ? this.#pending.length : next;
    this.#skippedBytes += drop;
    this.#pending = this.#pending.subarray(drop);
  }
}

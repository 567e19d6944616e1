// Reads ffmpeg's CSV segment list incrementally. ffmpeg appends `name,start,end` only after it has
// closed a segment, so a line here is the one reliable "segment finished" signal (file size is not).
import { open } from 'node:fs/promises';

export interface ListedSegment {
  name: string;
  /** Seconds of media in the segment, from ffmpeg's own start and end times. */
  durationSec: number;
  /**
   * The first line of a list: ffmpeg writes its start as 0 while its end is in the input's time
   * base, which for some RTSP sources starts hours from 0. Its duration is then absurd; later lines
   * are differences of two input times and are right.
   */
  first: boolean;
}

export class SegmentListReader {
  readonly path: string;
  #offset = 0;
  #partial = '';
  #count = 0;

  constructor(path: string) {
    this.path = path;
  }

  /** Returns the segments closed since the last call. A missing file means none yet. */
  async readNew(): Promise<ListedSegment[]> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    try {
      const chunks: Buffer[] = [];
      for (;;) {
        const buf = Buffer.alloc(64 * 1024);
        const { bytesRead } = await handle.read(buf, 0, buf.length, this.#offset);
        if (bytesRead === 0) break;
        this.#offset += bytesRead;
        chunks.push(buf.subarray(0, bytesRead));
      }
      const text = this.#partial + Buffer.concat(chunks).toString('utf8');
      const lines = text.split('\n');
      this.#partial = lines.pop() ?? '';
      const parsed = lines.map(parseLine).filter((s): s is ListedSegment => s !== undefined);
      for (const entry of parsed) entry.first = this.#count++ === 0;
      return parsed;
    } finally {
      await handle.close();
    }
  }
}

export function parseLine(line: string): ListedSegment | undefined {
  const m = /^"?([^",]+)"?,([\d.]+),([\d.]+)\s*$/.exec(line);
  if (!m) return undefined;
  const duration = Number(m[3]) - Number(m[2]);
  return { name: m[1] as string, durationSec: Number.isFinite(duration) ? Math.max(0, Math.round(duration * 1e6) / 1e6) : 0, first: false };
}

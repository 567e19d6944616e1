// Parses ffmpeg's `-progress pipe:1` output: blocks of key=value lines, each ending with `progress=...`.

export interface Progress {
  /** Media time written so far (µs). */
  outTimeUs: number;
  frame: number;
  ended: boolean;
}

export class ProgressParser {
  #buffer = '';
  #current = new Map<string, string>();

  /** Feeds a chunk of stdout; returns every block completed by it. */
  push(chunk: string): Progress[] {
    this.#buffer += chunk;
    const lines = this.#buffer.split('\n');
    this.#buffer = lines.pop() ?? '';
    const blocks: Progress[] = [];
    for (const line of lines) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1).trim();
      this.#current.set(key, value);
      if (key === 'progress') {
        blocks.push({
          outTimeUs: num(this.#current.get('out_time_us') ?? this.#current.get('out_time_ms')),
          frame: num(this.#current.get('frame')),
          ended: value === 'end',
        });
        this.#current.clear();
      }
    }
    if (this.#buffer.length > 64 * 1024) this.#buffer = ''; // never grow without bound on garbage
    return blocks;
  }
}

function num(v: string | undefined): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

// The last N lines of a stream (ffmpeg's stderr), kept so an exit can be explained in one log line.

export class TailBuffer {
  readonly #max: number;
  #lines: string[] = [];
  #partial = '';

  constructor(maxLines: number) {
    this.#max = maxLines;
  }

  push(chunk: string): void {
    const parts = (this.#partial + chunk).split(/\r?\n/);
    this.#partial = (parts.pop() ?? '').slice(-4096);
    for (const line of parts) if (line.trim() !== '') this.#lines.push(line.slice(0, 1000));
    if (this.#lines.length > this.#max) this.#lines.splice(0, this.#lines.length - this.#max);
  }

  lines(): string[] {
    return this.#partial.trim() === '' ? [...this.#lines] : [...this.#lines, this.#partial].slice(-this.#max);
  }
}

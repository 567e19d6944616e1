// A byte range of a file as a request body, read into two buffers used again and again. A file
// stream allocates a fresh buffer for every read, and on the upload path that allocation (page
// faults, the garbage collector) costs more CPU than sending the bytes (BENCHMARKS.md, digests).
//
// A buffer may only be read into again once the request is done with the bytes it holds: the
// HTTP request's write callback says so ("called when this chunk of data is flushed"). The SDK's
// Node handler sends a stream body with `body.pipe(request)`, so `pipe` is where the reuse is
// done. Read any other way (events, async iteration, stream.pipeline), the body is an ordinary
// Readable with a fresh buffer per read: correct whoever reads it, only cheaper when piped.
import { open, type FileHandle } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';

/** Read size: few, large reads keep the per-byte CPU of the upload low. */
const READ_CHUNK = 1 << 20;

export class FileRangeBody extends Readable {
  readonly #path: string;
  readonly #end: number;
  #at: number;
  #file: Promise<FileHandle> | undefined;
  #piped = false;

  constructor(path: string, start: number, length: number, signal?: AbortSignal) {
    super({ highWaterMark: READ_CHUNK, ...(signal ? { signal } : {}) });
    this.#path = path;
    this.#at = start;
    this.#end = start + length;
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    // already flowing, several destinations, or not to be ended: the ordinary way
    if (this.#piped || this.readableFlowing !== null || options?.end === false) return super.pipe(destination, options);
    this.#piped = true;
    this.pause(); // nothing else reads it from here on
    void this.#pump(destination as unknown as Writable);
    return destination;
  }

  override _read(): void {
    this.#readNext().then(
      (chunk) => this.push(chunk),
      (err: unknown) => this.destroy(err as Error),
    );
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    const file = this.#file;
    this.#file = undefined;
    if (!file) {
      callback(err);
      return;
    }
    file
      .then(
        (f) => f.close(),
        () => undefined,
      )
      .then(
        () => callback(err),
        () => callback(err),
      );
  }

  #open(): Promise<FileHandle> {
    // once destroyed (aborted) its handle is closed or closing: never open another one
    if (this.destroyed) return Promise.reject(new Error(`the body of ${this.#path} was destroyed`));
    this.#file ??= open(this.#path, 'r');
    return this.#file;
  }

  /** Reads the next bytes of the range into `buffer` (a fresh one when not given); null at its end. */
  async #readNext(buffer?: Buffer): Promise<Buffer | null> {
    const want = Math.min(READ_CHUNK, this.#end - this.#at);
    if (want <= 0) return null;
    const into = buffer ?? Buffer.allocUnsafeSlow(want);
    const { bytesRead } = await (await this.#open()).read(into, 0, want, this.#at);
    if (bytesRead === 0) throw new Error(`${this.#path} ends at byte ${this.#at}, ${this.#end - this.#at} bytes before the range does`);
    this.#at += bytesRead;
    return into.subarray(0, bytesRead);
  }

  /** Writes the range into `dest` from two buffers, each read into again once its write was flushed. */
  async #pump(dest: Writable): Promise<void> {
    const gone = new Promise<Error>((resolve) => {
      const ended = (): void => resolve(new Error('the request closed before its body was sent'));
      dest.once('close', ended);
      this.once('close', ended);
    });
    const buffers = [Buffer.allocUnsafeSlow(READ_CHUNK), Buffer.allocUnsafeSlow(READ_CHUNK)];
    const flushed: Promise<Error | null | undefined>[] = [Promise.resolve(null), Promise.resolve(null)];
    try {
      for (let n = 0; ; n++) {
        const slot = n % 2;
        const failed = await Promise.race([flushed[slot], gone]);
        if (failed) throw failed;
        const chunk = await this.#readNext(buffers[slot]);
        if (chunk === null) break;
        flushed[slot] = new Promise((resolve) => dest.write(chunk, resolve));
      }
      const failed = await Promise.race([Promise.all(flushed).then((all) => all.find((e) => e) ?? null), gone]);
      if (failed) throw failed;
      dest.end();
      this.destroy();
    } catch (err) {
      // the request fails with the cause (a short file, a read error), not a timeout
      if (!dest.destroyed) dest.destroy(err as Error);
      this.destroy();
    }
  }
}

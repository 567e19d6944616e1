// An in-memory ObjectStore for unit tests of the uploader: it can be switched down, or made to
// store the wrong bytes, so the uploader's retry and verification paths are exercised for real.
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { StoreError } from '../../src/errors.ts';
import type { ObjectStore, PutInput, StoredObject } from '../../src/storage/object-store.ts';

export class MemoryStore implements ObjectStore {
  readonly description = 'memory';
  readonly objects = new Map<string, { bytes: Buffer; metadata: Record<string, string>; contentType: string }>();
  down = false;
  /** Store one byte less than sent: verification must catch it. */
  truncate = false;
  puts = 0;

  async init(): Promise<void> {
    this.#guard();
  }
  async check(): Promise<void> {
    this.#guard();
  }
  async put(input: PutInput): Promise<void> {
    this.puts++;
    this.#guard();
    const bytes = await readFile(input.path, { signal: input.signal });
    this.objects.set(input.key, { bytes: this.truncate ? bytes.subarray(1) : bytes, metadata: { ...input.metadata }, contentType: input.contentType });
  }
  async head(key: string): Promise<StoredObject | undefined> {
    this.#guard();
    const o = this.objects.get(key);
    return o && { size: o.bytes.length, metadata: o.metadata };
  }
  async list(prefix: string): Promise<string[]> {
    this.#guard();
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
  async read(key: string): Promise<NodeJS.ReadableStream> {
    this.#guard();
    const o = this.objects.get(key);
    if (!o) throw new StoreError(`no object ${key}`, 'other');
    return Readable.from([o.bytes]);
  }
  async presign(key: string): Promise<string> {
    return `memory://${key}`;
  }
  close(): void {}
  #guard(): void {
    if (this.down) throw new StoreError('connect ECONNREFUSED 127.0.0.1:1', 'unreachable');
  }
}

// An in-memory ObjectStore for unit tests of the uploader: it can be switched down, made to store
// the wrong bytes, or to receive them wrong, so the uploader's retry and verification paths are
// exercised for real. Like S3 it checks the Content-MD5 of what it receives (the caller's digests)
// and answers HEAD with an ETag computed from the bytes it keeps.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { StoreError } from '../../src/errors.ts';
import { expectedEtag } from '../../src/storage/etag.ts';
import { partCount } from '../../src/storage/hash.ts';
import type { ObjectStore, PutBytesInput, PutInput, StoredObject } from '../../src/storage/object-store.ts';

export class MemoryStore implements ObjectStore {
  readonly description = 'memory';
  readonly objects = new Map<string, { bytes: Buffer; metadata: Record<string, string>; contentType: string }>();
  /** Multipart layout, as an S3 store's `s3.part_size`: the ETag of a larger object has a part count. */
  readonly partSize: number;
  down = false;
  /** Store one byte less than sent: verification must catch it. */
  truncate = false;
  /** Accept the bytes, then keep them with one byte flipped (same size): only the ETag can tell. */
  corruptStored = false;
  /** Flip one byte on the way in: the Content-MD5 check refuses it, as S3 answers 400 BadDigest. */
  corruptReceived = false;
  puts = 0;

  constructor(opts: { partSize?: number } = {}) {
    this.partSize = opts.partSize ?? Number.POSITIVE_INFINITY;
  }

  async init(): Promise<void> {
    this.#guard();
  }
  async check(): Promise<void> {
    this.#guard();
  }
  async put(input: PutInput): Promise<void> {
    this.puts++;
    this.#guard();
    const received = await readFile(input.path, { signal: input.signal });
    if (this.corruptReceived) flipMiddleByte(received);
    if (input.digests.partSize !== this.partSize)
      throw new StoreError(`digests taken at parts of ${input.digests.partSize}, the store's are ${this.partSize}`, 'other');
    if (etagOf(received, this.partSize) !== expectedEtag(input.digests))
      throw new StoreError(`upload ${input.key} failed (mismatch: BadDigest): the Content-MD5 you specified did not match what we received`, 'mismatch');
    const bytes = this.truncate ? received.subarray(1) : Buffer.from(received);
    if (this.corruptStored) flipMiddleByte(bytes);
    this.objects.set(input.key, { bytes, metadata: { ...input.metadata }, contentType: input.contentType });
  }
  async putBytes(input: PutBytesInput): Promise<void> {
    this.puts++;
    this.#guard();
    this.objects.set(input.key, { bytes: Buffer.from(input.body), metadata: { ...input.metadata }, contentType: input.contentType });
  }
  async delete(key: string): Promise<void> {
    this.#guard();
    this.objects.delete(key);
  }
  async head(key: string): Promise<StoredObject | undefined> {
    this.#guard();
    const o = this.objects.get(key);
    return o && { size: o.bytes.length, metadata: o.metadata, etag: etagOf(o.bytes, this.partSize), etagIsMd5: true };
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

/** The ETag S3 gives these bytes stored in parts of `partSize`. */
function etagOf(bytes: Buffer, partSize: number): string {
  const count = partCount(bytes.length, partSize);
  const part = (i: number): Buffer => (count === 1 ? bytes : bytes.subarray(i * partSize, (i + 1) * partSize));
  const partMd5s = Array.from({ length: count }, (_, i) => createHash('md5').update(part(i)).digest());
  return expectedEtag({ size: bytes.length, sha256: '', partSize, partMd5s });
}

function flipMiddleByte(bytes: Buffer): void {
  const at = bytes.length >> 1;
  bytes[at] = (bytes[at] as number) ^ 0xff;
}

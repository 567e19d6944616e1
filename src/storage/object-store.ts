// What the uploader needs from a store. Two implementations: S3-compatible and a local directory.
import type { FileDigests } from './hash.ts';

export interface PutInput {
  key: string;
  /** Local file to stream from; never read whole into memory. */
  path: string;
  size: number;
  contentType: string;
  metadata: Record<string, string>;
  /**
   * The file's digests at this store's `partSize`: the store refuses bytes that do not match
   * them (Content-MD5 on every request), so what it keeps is what was read here.
   */
  digests: FileDigests;
  signal: AbortSignal;
}

/** A small object held in memory (a camera record): sent with its Content-MD5, so the store keeps these bytes or refuses. */
export interface PutBytesInput {
  key: string;
  body: Buffer;
  contentType: string;
  /** User metadata (x-amz-meta-*), returned by head(). */
  metadata?: Record<string, string>;
  signal?: AbortSignal;
}

export interface StoredObject {
  size: number;
  metadata: Record<string, string>;
  /** The ETag the store computed from the bytes it keeps, without quotes (see etag.ts). */
  etag: string | undefined;
  /** False where the ETag is not an MD5 of the bytes (SSE-KMS, SSE-C, a store with its own ETags). */
  etagIsMd5: boolean;
}

export interface ObjectStore {
  /** Where objects go, for logs: no credentials. */
  readonly description: string;
  /**
   * Bytes per part of a multipart upload (a file up to this size goes in one request): the
   * boundaries `PutInput.digests` are taken at. Infinity for a store that takes whole objects.
   */
  readonly partSize: number;
  /** Makes the store usable (creates the bucket when allowed). Throws StoreError. */
  init(signal?: AbortSignal): Promise<void>;
  /** Cheap health check. Throws StoreError. */
  check(signal?: AbortSignal): Promise<void>;
  /** Stores the file; throws StoreError ('mismatch' when the bytes it received differ from the digests). */
  put(input: PutInput): Promise<void>;
  /** Stores a small object from memory; throws StoreError ('mismatch' when the bytes received differ). */
  putBytes(input: PutBytesInput): Promise<void>;
  /** Deletes an object; deleting one that is not there succeeds. Throws StoreError. */
  delete(key: string, signal?: AbortSignal): Promise<void>;
  /** Size, metadata and ETag of a stored object, or undefined when there is none. Throws StoreError. */
  head(key: string, signal?: AbortSignal): Promise<StoredObject | undefined>;
  /** Every key under a prefix, in key order. Throws StoreError. */
  list(prefix: string, signal?: AbortSignal): Promise<string[]>;
  /** An object's bytes as a stream. Throws StoreError. */
  read(key: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream>;
  /** A URL a browser can GET the object from directly, or undefined where the store has none. */
  presign(key: string, expiresSeconds: number): Promise<string | undefined>;
  close(): void;
}

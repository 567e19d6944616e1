// What the uploader needs from a store. Two implementations: S3-compatible and a local directory.

export interface PutInput {
  key: string;
  /** Local file to stream from; never read whole into memory. */
  path: string;
  size: number;
  contentType: string;
  metadata: Record<string, string>;
  signal: AbortSignal;
}

export interface StoredObject {
  size: number;
  metadata: Record<string, string>;
}

export interface ObjectStore {
  /** Where objects go, for logs: no credentials. */
  readonly description: string;
  /** Makes the store usable (creates the bucket when allowed). Throws StoreError. */
  init(signal?: AbortSignal): Promise<void>;
  /** Cheap health check. Throws StoreError. */
  check(signal?: AbortSignal): Promise<void>;
  put(input: PutInput): Promise<void>;
  /** Size and metadata of a stored object, or undefined when there is none. Throws StoreError. */
  head(key: string, signal?: AbortSignal): Promise<StoredObject | undefined>;
  /** Every key under a prefix, in key order. Throws StoreError. */
  list(prefix: string, signal?: AbortSignal): Promise<string[]>;
  /** An object's bytes as a stream. Throws StoreError. */
  read(key: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream>;
  /** A URL a browser can GET the object from directly, or undefined where the store has none. */
  presign(key: string, expiresSeconds: number): Promise<string | undefined>;
  close(): void;
}

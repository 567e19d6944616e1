// S3-compatible store (SeaweedFS, MinIO, Ceph RGW, AWS). Streams files with lib-storage's Upload.
import { createReadStream } from 'node:fs';
import { CreateBucketCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Upload } from '@aws-sdk/lib-storage';
import { StoreError } from '../errors.ts';
import type { Config } from '../config/schema.ts';
import type { ObjectStore, PutInput, StoredObject } from './object-store.ts';
import { toStoreError } from './s3-errors.ts';

export class S3Store implements ObjectStore {
  readonly description: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #createBucket: boolean;
  readonly #partSize: number;
  readonly #queueSize: number;

  constructor(s3: Config['s3']) {
    this.#bucket = s3.bucket;
    this.#createBucket = s3.createBucket;
    this.#partSize = s3.partSize;
    this.#queueSize = s3.partConcurrency;
    this.description = `s3 ${s3.endpoint || 'aws'} bucket ${s3.bucket}`;
    this.#client = new S3Client({
      region: s3.region,
      ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
      forcePathStyle: s3.forcePathStyle,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      // With the SDK's default (WHEN_SUPPORTED) a streamed PutObject is sent aws-chunked with a trailing
      // checksum: Ceph RGW rejects it (411) and simpler stores save the chunk framing inside the object.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: s3.connectTimeoutMs, requestTimeout: s3.requestTimeoutMs },
      maxAttempts: 2, // the uploader retries forever with its own backoff; keep the SDK's retries short
    });
  }

  async init(signal?: AbortSignal): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }), { abortSignal: signal });
      return;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      const missing = e.name === 'NotFound' || e.name === 'NoSuchBucket' || e.$metadata?.httpStatusCode === 404;
      if (!missing) throw toStoreError(err, `HeadBucket ${this.#bucket}`);
      if (!this.#createBucket) throw new StoreError(`bucket ${this.#bucket} does not exist; create it or set s3.create_bucket = true`, 'no-bucket');
    }
    try {
      await this.#client.send(new CreateBucketCommand({ Bucket: this.#bucket }), { abortSignal: signal });
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw toStoreError(err, `CreateBucket ${this.#bucket}`);
    }
  }

  async check(signal?: AbortSignal): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }), { abortSignal: signal });
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) throw new StoreError(`bucket ${this.#bucket} does not exist`, 'no-bucket', { cause: err });
      throw toStoreError(err, `HeadBucket ${this.#bucket}`);
    }
  }

  async put(input: PutInput): Promise<void> {
    const body = createReadStream(input.path);
    const upload = new Upload({
      client: this.#client,
      params: {
        Bucket: this.#bucket,
        Key: input.key,
        Body: body,
        ContentLength: input.size,
        ContentType: input.contentType,
        Metadata: input.metadata,
      },
      partSize: this.#partSize,
      queueSize: this.#queueSize,
      leavePartsOnError: false,
    });
    const onAbort = (): void => void upload.abort().catch(() => undefined);
    input.signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (input.signal.aborted) throw new StoreError('upload aborted before it started', 'timeout');
      await upload.done();
    } catch (err) {
      throw toStoreError(input.signal.aborted ? Object.assign(new Error(`aborted: ${String(input.signal.reason)}`), { name: 'AbortError' }) : err, `upload ${input.key}`);
    } finally {
      input.signal.removeEventListener('abort', onAbort);
      body.destroy();
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<StoredObject | undefined> {
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }), { abortSignal: signal });
      return { size: out.ContentLength ?? -1, metadata: out.Metadata ?? {} };
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return undefined;
      throw toStoreError(err, `HeadObject ${key}`);
    }
  }

  async list(prefix: string, signal?: AbortSignal): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const out = await this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal: signal });
        for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw toStoreError(err, `ListObjectsV2 ${prefix}`);
    }
    return keys.sort();
  }

  async read(key: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream> {
    try {
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }), { abortSignal: signal });
      return out.Body as NodeJS.ReadableStream;
    } catch (err) {
      throw toStoreError(err, `GetObject ${key}`);
    }
  }

  presign(key: string, expiresSeconds: number): Promise<string> {
    return getSignedUrl(this.#client, new GetObjectCommand({ Bucket: this.#bucket, Key: key }), { expiresIn: expiresSeconds });
  }

  close(): void {
    this.#client.destroy();
  }
}

// S3-compatible store (SeaweedFS, MinIO, Ceph RGW, AWS). Files are streamed from disk (s3-file-upload.ts).
import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { StoreError } from '../errors.ts';
import type { Config } from '../config/schema.ts';
import { bareEtag, etagIsMd5 } from './etag.ts';
import type { ObjectStore, PutBytesInput, PutInput, StoredObject } from './object-store.ts';
import { toStoreError } from './s3-errors.ts';
import { uploadFile } from './s3-file-upload.ts';

const quiet = (): void => undefined;
const SILENT = { debug: quiet, info: quiet, warn: quiet, error: quiet };

export class S3Store implements ObjectStore {
  readonly description: string;
  readonly #client: S3Client;
  /** For requests with a streamed body: the SDK cannot replay a stream, so it must not retry them. */
  readonly #uploadClient: S3Client;
  readonly #bucket: string;
  readonly #createBucket: boolean;
  readonly partSize: number;
  readonly #partConcurrency: number;

  constructor(s3: Config['s3']) {
    this.#bucket = s3.bucket;
    this.#createBucket = s3.createBucket;
    this.partSize = s3.partSize;
    this.#partConcurrency = s3.partConcurrency;
    this.description = `s3 ${s3.endpoint || 'aws'} bucket ${s3.bucket}`;
    const options = {
      region: s3.region,
      ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
      forcePathStyle: s3.forcePathStyle,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      // With the SDK's default (WHEN_SUPPORTED) a streamed PutObject is sent aws-chunked with a trailing
      // checksum: Ceph RGW rejects it (411) and simpler stores save the chunk framing inside the object.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: s3.connectTimeoutMs, requestTimeout: s3.requestTimeoutMs },
    } as const;
    // the uploader retries forever with its own backoff; keep the SDK's retries short
    this.#client = new S3Client({ ...options, maxAttempts: 2 });
    // a retried request with a consumed stream body hangs or fails: parts are retried by uploadFile
    // (the SDK says so on the console for every failed streamed request; the uploader logs it as JSON)
    this.#uploadClient = new S3Client({ ...options, maxAttempts: 1, logger: SILENT });
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
      if (e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404)
        throw new StoreError(`bucket ${this.#bucket} does not exist`, 'no-bucket', { cause: err });
      throw toStoreError(err, `HeadBucket ${this.#bucket}`);
    }
  }

  async put(input: PutInput): Promise<void> {
    try {
      if (input.signal.aborted) throw new StoreError('upload aborted before it started', 'timeout');
      await uploadFile({
        client: this.#uploadClient,
        bucket: this.#bucket,
        key: input.key,
        path: input.path,
        size: input.size,
        contentType: input.contentType,
        metadata: input.metadata,
        digests: input.digests,
        partSize: this.partSize,
        partConcurrency: this.#partConcurrency,
        signal: input.signal,
      });
    } catch (err) {
      throw toStoreError(
        input.signal.aborted ? Object.assign(new Error(`aborted: ${String(input.signal.reason)}`), { name: 'AbortError' }) : err,
        `upload ${input.key}`,
      );
    }
  }

  async putBytes(input: PutBytesInput): Promise<void> {
    const md5 = createHash('md5').update(input.body);
    try {
      // a buffer body can be replayed: the client with SDK retries is fine here
      const out = await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: input.key,
          Body: input.body,
          ContentType: input.contentType,
          ContentLength: input.body.length,
          ...(input.metadata ? { Metadata: input.metadata } : {}),
          ContentMD5: md5.copy().digest('base64'),
        }),
        { abortSignal: input.signal },
      );
      const etag = bareEtag(out.ETag);
      if (
        etag !== undefined &&
        etagIsMd5(etag, { sse: out.ServerSideEncryption, customerKey: out.SSECustomerAlgorithm !== undefined }) &&
        etag !== md5.digest('hex')
      ) {
        throw new StoreError(`PutObject ${input.key}: the store keeps bytes with ETag ${etag}, not the ones sent`, 'mismatch');
      }
    } catch (err) {
      throw err instanceof StoreError ? err : toStoreError(err, `PutObject ${input.key}`);
    }
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }), { abortSignal: signal });
    } catch (err) {
      throw toStoreError(err, `DeleteObject ${key}`);
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<StoredObject | undefined> {
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }), { abortSignal: signal });
      const etag = bareEtag(out.ETag);
      const etagMd5 = etagIsMd5(etag, { sse: out.ServerSideEncryption, customerKey: out.SSECustomerAlgorithm !== undefined });
      return { size: out.ContentLength ?? -1, metadata: out.Metadata ?? {}, etag, etagIsMd5: etagMd5 };
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
        const out = await this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, ContinuationToken: token }), {
          abortSignal: signal,
        });
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
    this.#uploadClient.destroy();
  }
}

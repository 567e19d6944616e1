// The baseline of bench/upload-digests.ts: src/storage/s3-file-upload.ts as it was before requests
// carried a Content-MD5 (at 2b29bf0), kept unchanged so that "old" stays the old upload path while
// the service's own one changes. Not used by the service.
import { createReadStream, type ReadStream } from 'node:fs';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import PQueue from 'p-queue';
import { systemClock } from '../../src/clock.ts';
import { toStoreError } from '../../src/storage/s3-errors.ts';

export interface FileUpload {
  /** A client with maxAttempts 1: a request whose body is a stream cannot be replayed by the SDK. */
  client: S3Client;
  bucket: string;
  key: string;
  path: string;
  size: number;
  contentType: string;
  metadata: Record<string, string>;
  partSize: number;
  partConcurrency: number;
  signal: AbortSignal;
  /** Tries per part before the whole upload fails (the caller then retries it with backoff). */
  partAttempts?: number;
}

/** Read size of the file streams: few, large reads keep the per-byte CPU of the upload low. */
const READ_CHUNK = 1 << 20;
const PART_RETRY_DELAYS_MS = [250, 1000, 3000];

export async function uploadFile(u: FileUpload): Promise<void> {
  if (u.size <= u.partSize) {
    await u.client.send(
      new PutObjectCommand({
        Bucket: u.bucket,
        Key: u.key,
        Body: u.size === 0 ? new Uint8Array(0) : fileRange(u.path, 0, u.size, u.signal),
        ContentLength: u.size,
        ContentType: u.contentType,
        Metadata: u.metadata,
      }),
      { abortSignal: u.signal },
    );
    return;
  }
  const created = await u.client.send(
    new CreateMultipartUploadCommand({
      Bucket: u.bucket,
      Key: u.key,
      ContentType: u.contentType,
      Metadata: u.metadata,
    }),
    { abortSignal: u.signal },
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw toStoreError(new Error('the store returned no UploadId'), `CreateMultipartUpload ${u.key}`);
  try {
    const parts = await uploadParts(u, uploadId);
    await u.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: u.bucket,
        Key: u.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
      { abortSignal: u.signal },
    );
  } catch (err) {
    // best effort, and not under the caller's (maybe aborted) signal: parts left behind cost storage
    await u.client
      .send(new AbortMultipartUploadCommand({ Bucket: u.bucket, Key: u.key, UploadId: uploadId }), { abortSignal: AbortSignal.timeout(10_000) })
      .catch(() => undefined);
    throw err;
  }
}

async function uploadParts(u: FileUpload, uploadId: string): Promise<CompletedPart[]> {
  const count = Math.ceil(u.size / u.partSize);
  const parts: CompletedPart[] = new Array<CompletedPart>(count);
  const queue = new PQueue({ concurrency: u.partConcurrency });
  const failed = new AbortController();
  const signal = AbortSignal.any([u.signal, failed.signal]);
  let firstError: unknown;
  const tasks = Array.from({ length: count }, (_, i) =>
    queue.add(async () => {
      if (signal.aborted) return;
      const start = i * u.partSize;
      const length = Math.min(u.partSize, u.size - start);
      try {
        parts[i] = { PartNumber: i + 1, ETag: await uploadPart(u, uploadId, i + 1, start, length, signal) };
      } catch (err) {
        // the first failure is the cause; the parts it stops fail with an abort
        if (!failed.signal.aborted) {
          firstError = err;
          failed.abort(err); // the whole upload is retried later, with backoff
        }
      }
    }),
  );
  await Promise.all(tasks);
  if (u.signal.aborted) throw u.signal.reason;
  if (failed.signal.aborted) throw firstError;
  return parts;
}

async function uploadPart(u: FileUpload, uploadId: string, partNumber: number, start: number, length: number, signal: AbortSignal): Promise<string> {
  const attempts = u.partAttempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await u.client.send(
        new UploadPartCommand({
          Bucket: u.bucket,
          Key: u.key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: fileRange(u.path, start, length, signal),
          ContentLength: length,
        }),
        { abortSignal: signal },
      );
      if (!out.ETag) throw new Error(`the store returned no ETag for part ${partNumber}`);
      return out.ETag;
    } catch (err) {
      if (signal.aborted || attempt >= attempts) throw err;
      await systemClock.sleep(PART_RETRY_DELAYS_MS[attempt - 1] ?? 3000, signal);
    }
  }
}

function fileRange(path: string, start: number, length: number, signal: AbortSignal): ReadStream {
  return createReadStream(path, { start, end: start + length - 1, highWaterMark: READ_CHUNK, signal });
}

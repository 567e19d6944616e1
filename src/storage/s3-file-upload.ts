// Stores a local file in S3 without holding it in memory: one PutObject streaming the file when it
// fits in one part, else a multipart upload whose parts are byte ranges of the file, each streamed
// straight from disk (and re-read from disk when a part is retried) through two reused 1 MiB buffers
// (file-range-body.ts). Nothing is buffered or copied, so memory does not depend on part size, part
// concurrency or file size. Every request carries the Content-MD5 of its bytes, so the store refuses
// (400 BadDigest) what was changed on the way, and the ETag each answer carries is compared with the
// MD5 read from the file (etag.ts).
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
import { systemClock } from '../clock.ts';
import { StoreError } from '../errors.ts';
import { bareEtag, etagIsMd5, expectedEtag } from './etag.ts';
import { FileRangeBody } from './file-range-body.ts';
import { partCount, type FileDigests } from './hash.ts';
import { toStoreError } from './s3-errors.ts';

export interface FileUpload {
  /** A client with maxAttempts 1: a request whose body is a stream cannot be replayed by the SDK. */
  client: S3Client;
  bucket: string;
  key: string;
  path: string;
  size: number;
  contentType: string;
  metadata: Record<string, string>;
  /** Taken at `partSize`: one Content-MD5 per request. */
  digests: FileDigests;
  partSize: number;
  partConcurrency: number;
  signal: AbortSignal;
  /** Tries per part before the whole upload fails (the caller then retries it with backoff). */
  partAttempts?: number;
}

const PART_RETRY_DELAYS_MS = [250, 1000, 3000];

export async function uploadFile(u: FileUpload): Promise<void> {
  const count = partCount(u.size, u.partSize);
  if (u.digests.partSize !== u.partSize || u.digests.partMd5s.length !== count || u.digests.size !== u.size) {
    throw new StoreError(
      `upload ${u.key}: digests of ${u.digests.size} bytes in ${u.digests.partMd5s.length} parts of ${u.digests.partSize} do not fit ${u.size} bytes in parts of ${u.partSize}`,
      'other',
    );
  }
  if (count === 1) {
    const out = await u.client.send(
      new PutObjectCommand({
        Bucket: u.bucket,
        Key: u.key,
        Body: u.size === 0 ? new Uint8Array(0) : fileRange(u.path, 0, u.size, u.signal),
        ContentLength: u.size,
        ContentMD5: contentMd5(u.digests, 0),
        ContentType: u.contentType,
        Metadata: u.metadata,
      }),
      { abortSignal: u.signal },
    );
    checkEtag(`PutObject ${u.key}`, out, expectedEtag(u.digests));
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
    const parts = await uploadParts(u, uploadId, count);
    const out = await u.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: u.bucket,
        Key: u.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
      { abortSignal: u.signal },
    );
    checkEtag(`CompleteMultipartUpload ${u.key}`, out, expectedEtag(u.digests));
  } catch (err) {
    // best effort, and not under the caller's (maybe aborted) signal: parts left behind cost storage
    await u.client
      .send(new AbortMultipartUploadCommand({ Bucket: u.bucket, Key: u.key, UploadId: uploadId }), { abortSignal: AbortSignal.timeout(10_000) })
      .catch(() => undefined);
    throw err;
  }
}

async function uploadParts(u: FileUpload, uploadId: string, count: number): Promise<CompletedPart[]> {
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
          ContentMD5: contentMd5(u.digests, partNumber - 1),
        }),
        { abortSignal: signal },
      );
      if (!out.ETag) throw new Error(`the store returned no ETag for part ${partNumber}`);
      checkEtag(`UploadPart ${partNumber} of ${u.key}`, out, (u.digests.partMd5s[partNumber - 1] as Buffer).toString('hex'));
      return out.ETag;
    } catch (err) {
      if (signal.aborted || attempt >= attempts) throw err;
      await systemClock.sleep(PART_RETRY_DELAYS_MS[attempt - 1] ?? 3000, signal);
    }
  }
}

function contentMd5(d: FileDigests, part: number): string {
  return (d.partMd5s[part] as Buffer).toString('base64');
}

/** An answer whose ETag is an MD5 must carry the one read from the file: else the store keeps other bytes. */
function checkEtag(
  what: string,
  out: { ETag?: string | undefined; ServerSideEncryption?: string | undefined; SSECustomerAlgorithm?: string | undefined },
  expected: string,
): void {
  const etag = bareEtag(out.ETag);
  if (!etagIsMd5(etag, { sse: out.ServerSideEncryption, customerKey: out.SSECustomerAlgorithm !== undefined })) return;
  if (etag !== expected) throw new StoreError(`verification failed: ${what} answered ETag ${etag}, the file's is ${expected}`, 'mismatch');
}

function fileRange(path: string, start: number, length: number, signal: AbortSignal): FileRangeBody {
  return new FileRangeBody(path, start, length, signal);
}

// What a store's ETag must be for the bytes we sent, and the check made before a local file may
// go. An S3 ETag is the hex MD5 of the body for a single PUT, and hex(md5(the parts' binary MD5s))
// + "-" + part count for a multipart upload — except where the store says otherwise: objects
// encrypted with SSE-KMS or SSE-C (AWS), and stores whose ETags are not MD5s at all. There the
// store's own Content-MD5 check, made on every request we send, is the proof (DESIGN.md).
import { createHash } from 'node:crypto';
import { StoreError } from '../errors.ts';
import type { FileDigests } from './hash.ts';
import type { StoredObject } from './object-store.ts';

const MD5_ETAG = /^[0-9a-f]{32}(-[1-9][0-9]*)?$/;

/** The ETag an S3 store reports for these bytes (no quotes). */
export function expectedEtag(d: FileDigests): string {
  if (d.partMd5s.length === 1) return (d.partMd5s[0] as Buffer).toString('hex');
  return `${createHash('md5').update(Buffer.concat(d.partMd5s)).digest('hex')}-${d.partMd5s.length}`;
}

/** An ETag as S3 sends it ("…", sometimes W/"…") without its quotes, lower case. */
export function bareEtag(etag: string | undefined): string | undefined {
  return etag?.replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
}

/**
 * Whether an ETag can be compared with our MD5s: it has their form and the object is not encrypted
 * in a way that makes the ETag something else (AWS: `aws:kms`, `aws:kms:dsse`, SSE-C).
 */
export function etagIsMd5(etag: string | undefined, encryption?: { sse?: string | undefined; customerKey?: boolean }): boolean {
  if (etag === undefined || !MD5_ETAG.test(etag)) return false;
  return !(encryption?.customerKey || encryption?.sse?.startsWith('aws:kms'));
}

/** Throws StoreError 'mismatch' unless the stored object is the file these digests were taken of. */
export function verifyStored(key: string, stored: StoredObject | undefined, d: FileDigests): void {
  if (!stored) throw new StoreError(`verification failed for ${key}: the store has no object after storing it`, 'mismatch');
  if (stored.size !== d.size) throw new StoreError(`verification failed for ${key}: stored ${stored.size} bytes, expected ${d.size}`, 'mismatch');
  if (!stored.etagIsMd5) return; // the store checked every request's Content-MD5 when it took the bytes
  const expected = expectedEtag(d);
  if (stored.etag !== expected)
    throw new StoreError(`verification failed for ${key}: the store reports ETag ${stored.etag ?? 'none'}, the file's is ${expected}`, 'mismatch');
}

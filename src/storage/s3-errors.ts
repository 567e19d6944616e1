// The one place where AWS SDK and network errors become StoreError kinds.
import { StoreError, type StoreErrorKind } from '../errors.ts';

const AUTH = new Set(['SignatureDoesNotMatch', 'InvalidAccessKeyId', 'AccessDenied', 'InvalidToken', 'ExpiredToken', 'Forbidden']);
const THROTTLED = new Set(['SlowDown', 'ServiceUnavailable', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequests']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);
/**
 * The store's Content-MD5 check (or, for a body signed with its SHA-256, the signature's payload
 * hash) refused the body: the bytes it received are not the ones sent.
 */
const DIGEST = new Set(['BadDigest', 'XAmzContentSHA256Mismatch']);
const TIMEOUT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ETIMEDOUT', 'AbortError']);

export function toStoreError(err: unknown, action: string): StoreError {
  if (err instanceof StoreError) return err;
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; cause?: { code?: string } };
  const name = e.name ?? '';
  const code = e.code ?? e.cause?.code ?? '';
  const status = e.$metadata?.httpStatusCode;
  let kind: StoreErrorKind = 'other';
  let hint = '';
  if (AUTH.has(name) || status === 403) {
    kind = 'auth';
    hint = "; check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY and the key's permissions on the bucket";
  } else if (DIGEST.has(name)) {
    kind = 'mismatch';
  } else if (name === 'NoSuchBucket') {
    kind = 'no-bucket';
    hint = '; create the bucket or set s3.create_bucket = true';
  } else if (THROTTLED.has(name) || status === 503 || status === 429) {
    kind = 'throttled';
  } else if (TIMEOUT.has(name) || TIMEOUT.has(code)) {
    kind = 'timeout';
  } else if (NETWORK.has(code) || NETWORK.has(name) || /socket hang up|ECONNREFUSED|connect/i.test(e.message ?? '')) {
    kind = 'unreachable';
    hint = '; check S3_ENDPOINT and that the store is running';
  } else if (status !== undefined && status >= 500) {
    kind = 'throttled';
  }
  // HEAD responses carry no error body, so the SDK can only say "Unknown"/"UnknownError": say the status instead.
  const vague = name === 'Unknown' || name === 'UnknownError' || name === 'Error' || name === '';
  const detail = [vague ? '' : name, code, status ? `HTTP ${status}` : ''].filter(Boolean).join(', ');
  const message = !e.message || e.message === 'UnknownError' ? (kind === 'auth' ? 'access denied' : 'no details from the store') : e.message;
  return new StoreError(`${action} failed (${kind}${detail ? `: ${detail}` : ''}): ${message}${hint}`, kind, { cause: err });
}

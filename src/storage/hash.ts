// The digests of a file, in one read: the sha256 for the object's metadata (evidence integrity,
// for reviewers) and the MD5s the store checks (Content-MD5) and reports back (ETag). MD5s are
// taken at the store's part boundaries, the ones its multipart ETag is built from.
import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';

/**
 * Read size. One buffer is read into again and again: a fresh buffer per read (what a file stream
 * does) costs more CPU than the sha256 itself (BENCHMARKS.md, digests).
 */
const READ_CHUNK = 4 << 20;

export interface FileDigests {
  /** Bytes read. */
  size: number;
  /** Hex sha256 of the whole file. */
  sha256: string;
  /** Part size the MD5s were taken at (the store's `partSize`). */
  partSize: number;
  /** MD5 of each part, 16 bytes each; one part (the whole file) when it fits in one request. */
  partMd5s: Buffer[];
}

/** Parts a file of `size` bytes is stored in: 1 (one request) up to `partSize`. */
export function partCount(size: number, partSize: number): number {
  return Math.max(1, Math.ceil(size / partSize));
}

/** Reads the file once (constant memory whatever the size) and returns its digests. */
export async function fileDigests(path: string, partSize: number, signal?: AbortSignal): Promise<FileDigests> {
  const sha256 = createHash('sha256');
  const partMd5s: Buffer[] = [];
  let md5: Hash = createHash('md5');
  let inPart = 0;
  let size = 0;
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafeSlow(READ_CHUNK);
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await file.read(buffer, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      const chunk = bytesRead === READ_CHUNK ? buffer : buffer.subarray(0, bytesRead);
      sha256.update(chunk);
      size += bytesRead;
      for (let at = 0; at < bytesRead; ) {
        if (inPart === partSize) {
          partMd5s.push(md5.digest());
          md5 = createHash('md5');
          inPart = 0;
        }
        const take = Math.min(bytesRead - at, partSize - inPart);
        md5.update(take === bytesRead ? chunk : chunk.subarray(at, at + take));
        inPart += take;
        at += take;
      }
    }
  } finally {
    await file.close();
  }
  partMd5s.push(md5.digest());
  return { size, sha256: sha256.digest('hex'), partSize, partMd5s };
}

// The digests of a file, in one read: the sha256 for the object's metadata (evidence integrity,
// for reviewers) and the MD5s the store checks (Content-MD5) and reports back (ETag). MD5s are
// taken at the store's part boundaries, the ones its multipart ETag is built from.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

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

/** Streams the file once (constant memory whatever the size) and returns its digests. */
export async function fileDigests(path: string, partSize: number, signal?: AbortSignal): Promise<FileDigests> {
  const sha256 = createHash('sha256');
  const partMd5s: Buffer[] = [];
  let md5: Hash = createHash('md5');
  let inPart = 0;
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) }) as AsyncIterable<Buffer>) {
    sha256.update(chunk);
    size += chunk.length;
    for (let at = 0; at < chunk.length;) {
      if (inPart === partSize) {
        partMd5s.push(md5.digest());
        md5 = createHash('md5');
        inPart = 0;
      }
      const take = Math.min(chunk.length - at, partSize - inPart);
      md5.update(take === chunk.length ? chunk : chunk.subarray(at, at + take));
      inPart += take;
      at += take;
    }
  }
  partMd5s.push(md5.digest());
  return { size, sha256: sha256.digest('hex'), partSize, partMd5s };
}

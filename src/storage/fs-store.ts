// The embedded store: the bucket's key layout under a directory. Each object is written to a temp
// name, fsynced, then renamed into place (and the directory fsynced), so a crash leaves either the
// whole object or none. Metadata lives beside it in `<key>.meta.json`, with the ETag an S3 store
// would give: the MD5 of the bytes as they were written, checked against the one the caller read.
import { accessSync, constants, createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash, randomBytes } from 'node:crypto';
import { StoreError } from '../errors.ts';
import { expectedEtag } from './etag.ts';
import type { ObjectStore, PutBytesInput, PutInput, StoredObject } from './object-store.ts';

export const META_SUFFIX = '.meta.json';

export class FilesystemStore implements ObjectStore {
  readonly description: string;
  /** Objects are written whole: one MD5 per file. */
  readonly partSize = Number.POSITIVE_INFINITY;
  readonly #root: string;

  constructor(root: string) {
    this.#root = resolve(root);
    this.description = `filesystem ${this.#root}`;
  }

  async init(): Promise<void> {
    try {
      await mkdir(this.#root, { recursive: true });
    } catch (err) {
      throw this.#error(err, `create ${this.#root}`);
    }
    await this.#probeWrite();
  }

  /** Healthy means writable: a root we can read but not write would pass a stat and fail every upload. */
  async check(): Promise<void> {
    await this.#probeWrite();
  }

  async #probeWrite(): Promise<void> {
    // `.tmp-` in the name: list() skips it, like an object being written.
    const probe = join(this.#root, `.write-check.tmp-${randomBytes(4).toString('hex')}`);
    try {
      await writeFile(probe, '');
    } catch (err) {
      throw this.#error(err, `write in ${this.#root}`);
    }
    await rm(probe, { force: true });
  }

  /** Why the root, or the nearest directory above it that exists, may not be written to (an errno code). */
  #notWritable(): string | undefined {
    for (let dir = this.#root; ; dir = dirname(dir)) {
      try {
        accessSync(dir, constants.W_OK);
        return undefined;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' || dir === dirname(dir)) return code;
      }
    }
  }

  async put(input: PutInput): Promise<void> {
    await this.#write(input.key, async (tmp) => {
      const md5 = createHash('md5');
      let size = 0;
      const written = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          md5.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      });
      await pipeline(createReadStream(input.path), written, createWriteStream(tmp), { signal: input.signal });
      const etag = md5.digest('hex');
      const expected = expectedEtag(input.digests);
      if (etag !== expected || size !== input.digests.size) {
        throw new StoreError(
          `write ${input.key} refused: the file read ${size} bytes with MD5 ${etag}, the caller's digests say ${input.digests.size} bytes with ${expected} (it changed since it was hashed)`,
          'mismatch',
        );
      }
      return { size, contentType: input.contentType, metadata: input.metadata, etag };
    });
  }

  async putBytes(input: PutBytesInput): Promise<void> {
    await this.#write(input.key, async (tmp) => {
      await writeFile(tmp, input.body, { signal: input.signal });
      const written = await readFile(tmp);
      const etag = createHash('md5').update(written).digest('hex');
      if (etag !== createHash('md5').update(input.body).digest('hex'))
        throw new StoreError(`write ${input.key} refused: the bytes written differ from the ones given`, 'mismatch');
      return { size: written.length, contentType: input.contentType, metadata: input.metadata ?? {}, etag };
    });
  }

  /** `fill` writes the object to a temp name and says its metadata; then both are fsynced and renamed into place. */
  async #write(
    key: string,
    fill: (tmp: string) => Promise<{ size: number; contentType: string; metadata: Record<string, string>; etag: string }>,
  ): Promise<void> {
    const target = this.#path(key);
    const tmp = `${target}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(dirname(target), { recursive: true });
      const meta = await fill(tmp);
      await fsyncFile(tmp);
      await writeFile(`${tmp}${META_SUFFIX}`, JSON.stringify(meta, null, 2));
      await fsyncFile(`${tmp}${META_SUFFIX}`);
      await rename(`${tmp}${META_SUFFIX}`, `${target}${META_SUFFIX}`);
      await rename(tmp, target);
      await fsyncFile(dirname(target));
    } catch (err) {
      await rm(tmp, { force: true });
      await rm(`${tmp}${META_SUFFIX}`, { force: true });
      throw err instanceof StoreError ? err : this.#error(err, `write ${key}`);
    }
  }

  async delete(key: string): Promise<void> {
    const target = this.#path(key);
    try {
      // the object first: a crash in between leaves a stray .meta.json, which list() never shows
      await rm(target, { force: true });
      await rm(`${target}${META_SUFFIX}`, { force: true });
      await fsyncFile(dirname(target)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    } catch (err) {
      throw this.#error(err, `delete ${key}`);
    }
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const target = this.#path(key);
    try {
      const [info, meta] = await Promise.all([stat(target), readFile(`${target}${META_SUFFIX}`, 'utf8')]);
      const parsed = JSON.parse(meta) as { metadata: Record<string, string>; etag?: string };
      // objects written before ETags were kept have none: nothing to compare with
      return { size: info.size, metadata: parsed.metadata, etag: parsed.etag, etagIsMd5: parsed.etag !== undefined };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.#error(err, `read ${key}`);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    // Walk only the directory the prefix names, not the whole tree.
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const full = join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (!e.name.endsWith(META_SUFFIX) && !e.name.includes('.tmp-')) {
          const key = relative(this.#root, full).split(sep).join('/');
          if (key.startsWith(prefix)) keys.push(key);
        }
      }
    };
    await walk(base ? this.#path(base) : this.#root);
    return keys.sort();
  }

  async read(key: string): Promise<NodeJS.ReadableStream> {
    const path = this.#path(key);
    try {
      await stat(path);
    } catch (err) {
      throw this.#error(err, `read ${key}`);
    }
    return createReadStream(path);
  }

  async presign(): Promise<undefined> {
    return undefined;
  }

  close(): void {}

  #path(key: string): string {
    const p = resolve(join(this.#root, key));
    if (!p.startsWith(this.#root + sep)) throw new StoreError(`key ${key} escapes the store root`, 'other');
    return p;
  }

  #error(err: unknown, action: string): StoreError {
    const e = err as NodeJS.ErrnoException;
    // Recursive mkdir says ENOENT when it may not create a directory (read-only mount, no write
    // permission): ask the directories themselves, so init, check and put all name the real cause.
    const code = e.code === 'ENOENT' && e.syscall === 'mkdir' ? (this.#notWritable() ?? e.code) : e.code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      const who = process.getuid ? ` (uid ${process.getuid()})` : '';
      return new StoreError(`${action} failed: permission denied (${code}); make FILESYSTEM_ROOT ${this.#root} writable by the service's user${who}`, 'auth', {
        cause: err,
      });
    }
    const kind = code === 'ABORT_ERR' ? 'timeout' : code === 'ENOENT' ? 'unreachable' : 'other';
    return new StoreError(`${action} failed: ${(err as Error).message}`, kind, { cause: err });
  }
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// What verification that can fail costs, side by side in one process on the same files: the old
// upload path (a sha256-only read of the file, requests without Content-MD5) against the new one
// (sha256 and the parts' MD5s in one read, Content-MD5 on every request), each followed by its
// HEAD. The old path is the code as it was before the change (a sha256 file stream and
// bench/lib/upload-before-digests.ts), the new one is the service's (src/storage). CPU seconds
// (user + system) of this process per GiB, pairs alternating which path goes first; the read
// (hashing) is also reported apart. A third path, today's code without MD5 (the sha256 read the
// same way as the new path's, requests through the service's upload with the Content-MD5 header
// removed), shows what the MD5 itself still costs once the I/O both would share is as cheap.
//
// Part of `npm run bench -- --only upload`; alone, with its own store and more pairs:
//   node bench/upload-digests.ts [--pairs 8] [--sizes 50,500]
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../test/support/s3-server.ts';
import { verifyStored } from '../src/storage/etag.ts';
import { fileDigests, type FileDigests } from '../src/storage/hash.ts';
import { uploadFile } from '../src/storage/s3-file-upload.ts';
import { cleanupAll, installSignalHandlers } from './lib/cleanup.ts';
import { uploadFile as uploadFileBefore } from './lib/upload-before-digests.ts';
import { progressLog, type Ctx } from './lib/context.ts';
import { makeSegment } from './lib/media.ts';
import { startStore } from './lib/servers.ts';
import { fmt, median, MiB } from './lib/stats.ts';

/** The service's defaults (s3.part_size, s3.part_concurrency): 50 MiB goes in one PutObject, 500 MiB in 8 parts. */
const PART_SIZE = 64 * MiB;
const PART_CONCURRENCY = 4;

type Path = 'old' | 'new' | 'no-md5';

export interface DigestRun {
  /** old: the code before the change; new: the service's; no-md5: the service's without the MD5s */
  path: Path;
  sizeMiB: number;
  seconds: number;
  cpuSecPerGiB: number;
  /** of which the read of the file for its digests */
  readCpuSecPerGiB: number;
}

export interface DigestCost {
  pairsPerSize: number;
  runs: DigestRun[];
  summary: {
    sizeMiB: number;
    oldCpuSecPerGiB: number;
    newCpuSecPerGiB: number;
    newOverOld: number;
    oldReadCpuSecPerGiB: number;
    newReadCpuSecPerGiB: number;
    noMd5CpuSecPerGiB: number;
    noMd5ReadCpuSecPerGiB: number;
    newOverNoMd5: number;
  }[];
}

/** A client that sends no Content-MD5: the header is removed before the request is signed. */
function withoutContentMd5(client: S3Client): { client: S3Client; removed: () => number } {
  let removed = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      const headers = (args.request as { headers?: Record<string, string> }).headers;
      if (headers?.['content-md5'] !== undefined) {
        delete headers['content-md5'];
        removed++;
      }
      return next(args);
    },
    { step: 'build', name: 'benchDropContentMd5' },
  );
  return { client, removed: () => removed };
}

/** The sha256 read as src/storage/hash.ts reads (one reused 4 MiB buffer), without the MD5s. */
async function sha256Reused(path: string): Promise<string> {
  const hash = createHash('sha256');
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafeSlow(4 * MiB);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

async function sha256Only(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function runDigestCost(
  ctx: Ctx,
  bucket: string,
  files: { sizeMiB: number; path: string; size: number }[],
  pairsPerSize: number,
): Promise<DigestCost> {
  const plain = s3Client(ctx.store.server, { maxAttempts: 1 });
  const { client: noMd5, removed } = withoutContentMd5(s3Client(ctx.store.server, { maxAttempts: 1 }));
  const runs: DigestRun[] = [];
  try {
    for (const f of files) {
      // the no-md5 path sends none, but uploadFile checks the ETags with them: taken outside the window
      const known: FileDigests = await fileDigests(f.path, PART_SIZE);
      const once = async (which: Path, n: number): Promise<DigestRun> => {
        const Key = `digests/${which}-${f.sizeMiB}-${n}.mp4`;
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const common = {
          client: plain,
          bucket,
          key: Key,
          path: f.path,
          size: f.size,
          contentType: 'video/mp4',
          partSize: PART_SIZE,
          partConcurrency: PART_CONCURRENCY,
          signal: AbortSignal.timeout(300_000),
        };
        let read: NodeJS.CpuUsage;
        if (which === 'old') {
          const sha256 = await sha256Only(f.path);
          read = process.cpuUsage(cpu0);
          await uploadFileBefore({ ...common, metadata: { sha256 } });
          const head = await plain.send(new HeadObjectCommand({ Bucket: bucket, Key }));
          if (head.ContentLength !== f.size) throw new Error(`old path: stored ${head.ContentLength} bytes of ${f.size}`);
        } else if (which === 'no-md5') {
          const sha256 = await sha256Reused(f.path);
          read = process.cpuUsage(cpu0);
          await uploadFile({ ...common, client: noMd5, metadata: { sha256 }, digests: known });
          const head = await plain.send(new HeadObjectCommand({ Bucket: bucket, Key }));
          verifyStored(Key, { size: head.ContentLength ?? -1, metadata: {}, etag: head.ETag?.replaceAll('"', ''), etagIsMd5: true }, known);
          if (removed() === 0) throw new Error('the no-md5 path sent a Content-MD5: the bench cannot remove it');
        } else {
          const digests: FileDigests = await fileDigests(f.path, PART_SIZE);
          read = process.cpuUsage(cpu0);
          await uploadFile({ ...common, metadata: { sha256: digests.sha256 }, digests });
          const head = await plain.send(new HeadObjectCommand({ Bucket: bucket, Key }));
          verifyStored(Key, { size: head.ContentLength ?? -1, metadata: {}, etag: head.ETag?.replaceAll('"', ''), etagIsMd5: true }, digests);
        }
        const seconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        await plain.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
        const perGiB = (c: NodeJS.CpuUsage): number => ((c.user + c.system) / 1e6) * (2 ** 30 / f.size);
        return { path: which, sizeMiB: f.sizeMiB, seconds, cpuSecPerGiB: perGiB(cpu), readCpuSecPerGiB: perGiB(read) };
      };
      const paths: Path[] = ['old', 'new', 'no-md5'];
      for (const which of paths) await once(which, -1); // warm-up of the clients and the code paths, not counted
      for (let n = 0; n < pairsPerSize; n++) {
        // old and new back to back, in turn first; no-md5 before or after them
        const pair: Path[] = n % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
        for (const which of n % 4 < 2 ? [...pair, 'no-md5' as const] : ['no-md5' as const, ...pair]) {
          const r = await once(which, n);
          runs.push(r);
          ctx.log(
            `upload digests: ${which} path ${f.sizeMiB} MiB: ${r.cpuSecPerGiB.toFixed(2)} CPU s/GiB (read ${r.readCpuSecPerGiB.toFixed(2)}), ${(f.size / MiB / r.seconds).toFixed(0)} MiB/s`,
          );
        }
      }
    }
  } finally {
    plain.destroy();
    noMd5.destroy();
  }
  const summary = [...new Set(files.map((f) => f.sizeMiB))].map((sizeMiB) => {
    const olds = runs.filter((r) => r.sizeMiB === sizeMiB && r.path === 'old');
    const news = runs.filter((r) => r.sizeMiB === sizeMiB && r.path === 'new');
    const noMd5s = runs.filter((r) => r.sizeMiB === sizeMiB && r.path === 'no-md5');
    return {
      sizeMiB,
      oldCpuSecPerGiB: median(olds.map((r) => r.cpuSecPerGiB)),
      newCpuSecPerGiB: median(news.map((r) => r.cpuSecPerGiB)),
      // per pair (run back to back), then the median
      newOverOld: median(news.map((r, i) => r.cpuSecPerGiB / (olds[i]?.cpuSecPerGiB ?? NaN))),
      oldReadCpuSecPerGiB: median(olds.map((r) => r.readCpuSecPerGiB)),
      newReadCpuSecPerGiB: median(news.map((r) => r.readCpuSecPerGiB)),
      noMd5CpuSecPerGiB: median(noMd5s.map((r) => r.cpuSecPerGiB)),
      noMd5ReadCpuSecPerGiB: median(noMd5s.map((r) => r.readCpuSecPerGiB)),
      newOverNoMd5: median(news.map((r, i) => r.cpuSecPerGiB / (noMd5s[i]?.cpuSecPerGiB ?? NaN))),
    };
  });
  return { pairsPerSize, runs, summary };
}

export function digestTable(d: DigestCost): string {
  const rows = d.summary.map(
    (s) =>
      `| ${s.sizeMiB} MiB | ${fmt(s.oldCpuSecPerGiB, 2)} s (read ${fmt(s.oldReadCpuSecPerGiB, 2)}) | ${fmt(s.newCpuSecPerGiB, 2)} s (read ${fmt(s.newReadCpuSecPerGiB, 2)}) | **${fmt(s.newOverOld * 100, 0)} %** | ${fmt(s.noMd5CpuSecPerGiB, 2)} s (read ${fmt(s.noMd5ReadCpuSecPerGiB, 2)}) | ${fmt(s.newOverNoMd5 * 100, 0)} % |`,
  );
  return [
    '| segment | old path (before the change): sha256 file stream, no Content-MD5 | new path: sha256 + MD5 read, Content-MD5 | new / old (per pair) | new code without MD5 | new / new without MD5 |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { pairs: { type: 'string', default: '8' }, sizes: { type: 'string', default: '50,500' } } });
  installSignalHandlers();
  const log = progressLog();
  const mediaDir = mkdtempSync(join(tmpdir(), 'camrec-bench-digests-'));
  try {
    const store = await startStore(4 * 2 ** 30);
    const bucket = 'bench-digests';
    await store.client.send(new CreateBucketCommand({ Bucket: bucket }));
    const sizes = (values.sizes ?? '').split(',').map(Number);
    const files = [];
    for (const s of sizes) files.push({ sizeMiB: s, ...(await makeSegment(mediaDir, s)) });
    const ctx = { store, log } as unknown as Ctx; // only the store and the log are used
    const result = await runDigestCost(ctx, bucket, files, Number(values.pairs));
    process.stdout.write(`node bench/upload-digests.ts --pairs ${values.pairs} --sizes ${values.sizes}\n\n${digestTable(result)}\n`);
  } finally {
    await cleanupAll();
    await rm(mediaDir, { recursive: true, force: true });
  }
}

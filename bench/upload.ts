// 3. Upload path: throughput of the real recorder storing a big segment (left in TEMP_DIR before
// start, so it is uploaded at startup: ffprobe check, sha256 and MD5s, upload with Content-MD5, HEAD
// verification) against the raw baseline in the same run — the same bytes through one plain SDK
// PutObject — plus the recorder's peak RSS (VmHWM) by segment size, and with several uploads at once;
// then the CPU of the upload path without and with Content-MD5, side by side (upload-digests.ts).
import { createReadStream, linkSync, mkdirSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { freePort } from '../test/support/ports.ts';
import { s3Client } from '../test/support/s3-server.ts';
import type { Ctx } from './lib/context.ts';
import { runDigestCost, type DigestCost } from './upload-digests.ts';
import { makeSegment } from './lib/media.ts';
import { readStat, rssPeak } from './lib/proc.ts';
import { isLog, logTime, startRecorder } from './lib/recorder.ts';
import { emptyBucket } from './lib/servers.ts';
import { median, MiB, sleep } from './lib/stats.ts';

export interface UploadConfig {
  sizesMiB: number[];
  reps: Record<number, number>;
  /** sizes whose peak RSS is reported (sizes not in sizesMiB get one recorder run each) */
  rssSizesMiB: number[];
  /** several segments left at once: upload.concurrency (4) of them run in parallel */
  concurrent: { count: number; sizeMiB: number };
  /** pairs per size (sizesMiB) of the old and new upload paths side by side (upload-digests.ts) */
  digestPairs: number;
}

export interface RawPut {
  sizeBytes: number;
  seconds: number;
  mibPerSec: number;
  /** CPU of the uploading process per GiB (user + system) */
  cpuSecPerGiB: number;
}

export interface RecorderUpload {
  sizeBytes: number;
  segments: number;
  /** from "uploading segments left by an earlier run" to the last "segment uploaded" (check + sha256 + upload + HEAD) */
  endToEndSec: number;
  endToEndMiBps: number;
  /** uploadSeconds of the log line: lib-storage Upload + HEAD only (median over segments) */
  uploadSec: number;
  uploadMiBps: number;
  /** recorder process CPU in that interval, per GiB, and its ffprobe children */
  nodeCpuSecPerGiB: number;
  ffprobeCpuSec: number;
  peakRssMiB: number;
}

export interface UploadResult {
  config: UploadConfig;
  idlePeakRssMiB: number;
  raw: Record<number, RawPut[]>;
  recorder: Record<number, RecorderUpload[]>;
  concurrent: { raw: { seconds: number; mibPerSec: number }; recorder: RecorderUpload } | undefined;
  /** CPU per GiB of the upload path before and after Content-MD5 and ETag checks */
  digests: DigestCost;
  summary: {
    sizeMiB: number;
    rawMiBps: number;
    recorderUploadMiBps: number;
    recorderEndToEndMiBps: number;
    /** recorder (Upload+HEAD) / raw */
    uploadRatio: number;
    /** recorder end to end (incl. ffprobe and sha256) / raw */
    endToEndRatio: number;
    rawCpuSecPerGiB: number;
    nodeCpuSecPerGiB: number;
    peakRssMiB: number;
  }[];
}

const RAW_BUCKET = 'bench-raw-put';
let leftoverNo = 0;
/** A unique segment file name (UTC start time) for a leftover. */
function leftoverName(): string {
  const t = new Date(Date.UTC(2020, 0, 1) + ++leftoverNo * 1000).toISOString();
  return `${t.slice(0, 10).replaceAll('-', '')}-${t.slice(11, 19).replaceAll(':', '')}.mp4`;
}

async function rawPut(ctx: Ctx, path: string, size: number): Promise<RawPut> {
  const client = s3Client(ctx.store.server);
  try {
    const Key = `raw/${leftoverName()}`;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await client.send(new PutObjectCommand({ Bucket: RAW_BUCKET, Key, Body: createReadStream(path), ContentLength: size, ContentType: 'video/mp4' }));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await client.send(new DeleteObjectCommand({ Bucket: RAW_BUCKET, Key }));
    return { sizeBytes: size, seconds, mibPerSec: size / MiB / seconds, cpuSecPerGiB: ((cpu.user + cpu.system) / 1e6) * (2 ** 30 / size) };
  } finally {
    client.destroy();
  }
}

async function rawConcurrent(ctx: Ctx, files: { path: string; size: number }[]): Promise<{ seconds: number; mibPerSec: number }> {
  const t0 = performance.now();
  await Promise.all(files.map((f) => rawPut(ctx, f.path, f.size)));
  const seconds = (performance.now() - t0) / 1000;
  const total = files.reduce((s, f) => s + f.size, 0);
  return { seconds, mibPerSec: total / MiB / seconds };
}

/** One recorder process that finds `files` (hard links) in TEMP_DIR at start and uploads them. */
async function recorderUpload(ctx: Ctx, files: { path: string; size: number }[]): Promise<RecorderUpload> {
  const tempDir = mkdtempSync(join(tmpdir(), 'camrec-bench-upload-'));
  mkdirSync(join(tempDir, 'upload-bench'));
  for (const f of files) linkSync(f.path, join(tempDir, 'upload-bench', leftoverName()));
  // one camera is required by the configuration: a closed port, so it only retries cheaply
  const closed = `rtsp://127.0.0.1:${await freePort()}/none`;
  const run = await startRecorder({
    store: ctx.store,
    cameras: [closed],
    segmentSeconds: 60,
    tempDir,
    ...(ctx.profileDir ? { profileDir: join(ctx.profileDir, 'upload') } : {}),
  });
  try {
    const started = await run.proc.waitForLog(isLog('uploading segments left by an earlier run'), 60_000, 'leftover upload start');
    const s0 = readStat(run.pid);
    const done = await run.proc.waitForCount(isLog('segment uploaded'), files.length, 900_000, 'uploads');
    const s1 = readStat(run.pid);
    const peak = rssPeak(run.pid);
    const total = files.reduce((s, f) => s + f.size, 0);
    const endToEndSec = (Math.max(...done.map(logTime)) - logTime(started)) / 1000;
    const uploadSec = median(done.map((l) => Number(l.uploadSeconds)));
    return {
      sizeBytes: total,
      segments: files.length,
      endToEndSec,
      endToEndMiBps: total / MiB / endToEndSec,
      uploadSec,
      uploadMiBps: total / files.length / MiB / uploadSec,
      nodeCpuSecPerGiB: s0 && s1 ? (s1.cpu - s0.cpu) * (2 ** 30 / total) : NaN,
      ffprobeCpuSec: s0 && s1 ? s1.childCpu - s0.childCpu : NaN,
      peakRssMiB: (peak?.hwm ?? NaN) / MiB,
    };
  } finally {
    await run.stop();
    await emptyBucket(ctx.store.client, run.bucket).catch(() => undefined);
    await rm(tempDir, { recursive: true, force: true });
  }
}

/** Peak RSS of a recorder that uploads nothing (start-up, store probe, one idle camera). */
async function idlePeak(ctx: Ctx): Promise<number> {
  const closed = `rtsp://127.0.0.1:${await freePort()}/none`;
  const run = await startRecorder({ store: ctx.store, cameras: [closed], segmentSeconds: 60 });
  try {
    await run.proc.waitForLog(isLog('store reachable'), 60_000, 'store reachable');
    await sleep(3000);
    return (rssPeak(run.pid)?.hwm ?? NaN) / MiB;
  } finally {
    await run.stop();
    await run.dispose();
  }
}

export async function runUpload(ctx: Ctx, cfg: UploadConfig): Promise<UploadResult> {
  const mediaDir = mkdtempSync(join(tmpdir(), 'camrec-bench-media-'));
  ctx.sampler.stop(); // nothing else runs: keep the bench process quiet for the raw puts
  try {
    const admin = s3Client(ctx.store.server);
    await admin.send(new CreateBucketCommand({ Bucket: RAW_BUCKET })).catch(() => undefined);
    admin.destroy();
    ctx.log('upload: making segments');
    const sizes = [...new Set([...cfg.sizesMiB, ...cfg.rssSizesMiB])].sort((a, b) => a - b);
    const files = new Map<number, { path: string; size: number }>();
    for (const s of sizes) files.set(s, await makeSegment(mediaDir, s));
    const conc = await Promise.all(Array.from({ length: cfg.concurrent.count }, (_, i) => makeSegment(mediaDir, cfg.concurrent.sizeMiB, `-${i}`)));
    // warm-up: connections, JIT, page cache
    await rawPut(ctx, (files.get(sizes[0] as number) as { path: string }).path, (files.get(sizes[0] as number) as { size: number }).size);
    const idlePeakRssMiB = await idlePeak(ctx);
    ctx.log(`upload: idle recorder peak RSS ${idlePeakRssMiB.toFixed(1)} MiB`);

    const raw: Record<number, RawPut[]> = {};
    const recorder: Record<number, RecorderUpload[]> = {};
    for (const s of sizes) {
      const f = files.get(s) as { path: string; size: number };
      const reps = cfg.sizesMiB.includes(s) ? (cfg.reps[s] ?? 1) : 1;
      for (let rep = 0; rep < reps; rep++) {
        const order = rep % 2 === 0 ? ['raw', 'recorder'] : ['recorder', 'raw'];
        for (const v of order) {
          if (v === 'raw') {
            const r = await rawPut(ctx, f.path, f.size);
            raw[s] ??= [];
            raw[s].push(r);
            ctx.log(`upload: raw PutObject ${s} MiB: ${r.mibPerSec.toFixed(0)} MiB/s, ${r.cpuSecPerGiB.toFixed(2)} CPU s/GiB`);
          } else {
            const r = await recorderUpload(ctx, [f]);
            recorder[s] ??= [];
            recorder[s].push(r);
            ctx.log(
              `upload: recorder ${s} MiB: upload ${r.uploadMiBps.toFixed(0)} MiB/s, end to end ${r.endToEndMiBps.toFixed(0)} MiB/s, node ${r.nodeCpuSecPerGiB.toFixed(2)} CPU s/GiB, peak RSS ${r.peakRssMiB.toFixed(1)} MiB`,
            );
          }
        }
      }
    }
    ctx.log(`upload: ${cfg.concurrent.count} × ${cfg.concurrent.sizeMiB} MiB at once`);
    const concRaw = await rawConcurrent(ctx, conc);
    const concRec = await recorderUpload(ctx, conc);
    ctx.log(
      `upload: concurrent raw ${concRaw.mibPerSec.toFixed(0)} MiB/s; recorder end to end ${concRec.endToEndMiBps.toFixed(0)} MiB/s, peak RSS ${concRec.peakRssMiB.toFixed(1)} MiB`,
    );
    const digests = await runDigestCost(
      ctx,
      RAW_BUCKET,
      cfg.sizesMiB.map((s) => ({ sizeMiB: s, ...(files.get(s) as { path: string; size: number }) })),
      cfg.digestPairs,
    );
    for (const d of digests.summary)
      ctx.log(
        `upload digests ${d.sizeMiB} MiB: old ${d.oldCpuSecPerGiB.toFixed(2)}, new ${d.newCpuSecPerGiB.toFixed(2)} CPU s/GiB (new/old ${(d.newOverOld * 100).toFixed(0)} %)`,
      );

    const summary = sizes.map((s) => {
      const rs = raw[s] ?? [];
      const cs = recorder[s] ?? [];
      const rawMiBps = median(rs.map((r) => r.mibPerSec));
      return {
        sizeMiB: s,
        rawMiBps,
        recorderUploadMiBps: median(cs.map((r) => r.uploadMiBps)),
        recorderEndToEndMiBps: median(cs.map((r) => r.endToEndMiBps)),
        // ratios per rep (raw and recorder of one rep ran back to back), median of the ratios
        uploadRatio: median(cs.map((c, i) => c.uploadMiBps / (rs[i]?.mibPerSec ?? rawMiBps))),
        endToEndRatio: median(cs.map((c, i) => c.endToEndMiBps / (rs[i]?.mibPerSec ?? rawMiBps))),
        rawCpuSecPerGiB: median(rs.map((r) => r.cpuSecPerGiB)),
        nodeCpuSecPerGiB: median(cs.map((r) => r.nodeCpuSecPerGiB)),
        peakRssMiB: median(cs.map((r) => r.peakRssMiB)),
      };
    });
    return { config: cfg, idlePeakRssMiB, raw, recorder, concurrent: { raw: concRaw, recorder: concRec }, digests, summary };
  } finally {
    await rm(mediaDir, { recursive: true, force: true });
    ctx.sampler.start(5000);
  }
}

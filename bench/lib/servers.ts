// The same real servers as the end-to-end tests: GStreamer RTSP cameras and a Ceph RGW store.
import { execFile } from 'node:child_process';
import { createConnection } from 'node:net';
import { promisify } from 'node:util';
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { startRtspServer, type AudioKind, type RtspServer } from '../../test/support/rtsp-server.ts';
import { s3Client, startS3Server, type S3Server } from '../../test/support/s3-server.ts';
import { onCleanup } from './cleanup.ts';
import { sleep } from './stats.ts';

const run = promisify(execFile);

export const CAMERA = { size: '1920x1080', fps: 15, kbps: 4000, gopSec: 2 } as const;

/** Camera i (1-based): odd ones send AAC, even ones G.711 A-law. */
export const audioOf = (i: number): 'aac' | 'alaw' => (i % 2 === 1 ? 'aac' : 'alaw');
export const mountOf = (i: number): string => `/cam${i}`;

export interface Cameras {
  server: RtspServer;
  count: number;
  url(i: number): string;
  stop(): Promise<void>;
}

/**
 * A new camera server in place of ctx.cameras (same mounts, new port). The shared-source server's
 * pipelines live as long as the server; after many clients came and went one of them has been seen
 * to stop answering (ffprobe: "Invalid data found"). A fresh server per measured run keeps one
 * run's camera trouble out of the next.
 */
export async function freshCameras(ctx: { cameras: Cameras }): Promise<void> {
  const { count } = ctx.cameras;
  await ctx.cameras.stop();
  ctx.cameras = await startCameras(count);
}

/**
 * `count` synthetic 1080p15 ~4 Mbit/s H.264 cameras (odd: AAC, even: G.711; `size` and `kbps` change
 * the picture and the rate). sharedSource: all
 * cameras of one audio kind relay one encoder (2 x264 encoders in all), else one encoder per camera.
 */
export async function startCameras(count: number, opts: { sharedSource?: boolean; first?: number; size?: string; kbps?: number } = {}): Promise<Cameras> {
  const first = opts.first ?? 1;
  const mounts: Record<string, AudioKind> = {};
  for (let i = first; i < first + count; i++) mounts[mountOf(i)] = audioOf(i);
  const server = await startRtspServer({
    mounts,
    size: opts.size ?? CAMERA.size,
    fps: CAMERA.fps,
    kbps: opts.kbps ?? CAMERA.kbps,
    sharedSource: opts.sharedSource ?? true,
  });
  const stop = onCleanup('rtsp server', () => server.kill());
  return { server, count, url: (i) => server.url(mountOf(i)), stop };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Starts a killed camera server again (same port) and returns when it accepted connections again
 * (ms since the epoch): the moment a recorder could reconnect, polled every 20 ms while it starts.
 */
export async function restartCameras(cams: Cameras): Promise<number> {
  const startTime = Date.now();
  let backAt: number | undefined;
  const poll = (async () => {
    while (backAt === undefined && Date.now() - startTime < 60_000) {
      if (await portOpen(cams.server.port)) backAt = Date.now();
      else await sleep(20);
    }
  })();
  await cams.server.start();
  await poll;
  return backAt ?? Date.now();
}

export interface Store {
  server: S3Server;
  client: S3Client;
  /** `ceph` CLI against this cluster. */
  ceph(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Ceph RGW with a memstore OSD. Objects live in RAM, and a deleted object's data is only freed by
 * RGW's garbage collector (default: after 2 h). The benchmark deletes what it has checked, so GC is
 * set to run every 10 s with no minimum wait (then radosgw restarts to pick it up).
 */
export async function startStore(memstoreBytes: number): Promise<Store> {
  const server = await startS3Server({ memstoreBytes });
  const stopServer = onCleanup('s3 server', () => server.stop());
  const ceph = async (...args: string[]): Promise<string> =>
    (await run('ceph', ['-c', `${server.dir}/ceph.conf`, '--connect-timeout', '20', ...args], { encoding: 'utf8' })).stdout;
  try {
    await ceph('config', 'set', 'client.rgw.test', 'rgw_gc_obj_min_wait', '0');
    await ceph('config', 'set', 'client.rgw.test', 'rgw_gc_processor_period', '10');
    await server.stopGateway();
    await server.startGateway();
  } catch (err) {
    await stopServer();
    throw err;
  }
  const client = s3Client(server, { maxAttempts: 3 });
  return {
    server,
    client,
    ceph,
    stop: async () => {
      client.destroy();
      await stopServer();
    },
  };
}

export async function listAll(client: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  try {
    do {
      const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchBucket') return [];
    throw err;
  }
  return keys.sort();
}

export async function head(client: S3Client, bucket: string, key: string): Promise<{ size: number; metadata: Record<string, string> } | undefined> {
  try {
    const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { size: out.ContentLength ?? -1, metadata: out.Metadata ?? {} };
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return undefined;
    throw err;
  }
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Deletes objects one by one (DeleteObjects needs Content-MD5, which the SDK no longer sends). */
export async function deleteKeys(client: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  await pool(keys, 8, async (Key) => {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  });
}

export async function emptyBucket(client: S3Client, bucket: string): Promise<number> {
  const keys = await listAll(client, bucket);
  await deleteKeys(client, bucket, keys);
  return keys.length;
}

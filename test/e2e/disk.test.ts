// The backlog guard end to end: the real CLI, a GStreamer RTSP camera, Ceph RGW. A store slower
// than the camera must still receive segments while the cap drops queued ones; a small spool must
// lose nothing to a free-space floor meant for a big disk while the store accepts every upload.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { listKeys } from '../support/bucket.ts';
import { startFaultProxy } from '../support/fault-proxy.ts';
import { freePort } from '../support/ports.ts';
import { RecorderProcess, type LogLine } from '../support/recorder-process.ts';
import { startRtspServer, type RtspServer } from '../support/rtsp-server.ts';
import { s3Client, startS3Server, type S3Server } from '../support/s3-server.ts';

const SEGMENT_S = 4;

let s3: S3Server;
let client: S3Client;
let cameras: RtspServer;
const running = new Set<RecorderProcess>();
let bucketNo = 0;

before(async () => {
  [s3, cameras] = await Promise.all([startS3Server(), startRtspServer({ mounts: { '/cam1': 'aac', '/cam2': 'aac' } })]);
  client = s3Client(s3);
});
after(async () => {
  for (const r of running) await r.stop('SIGKILL');
  await cameras?.stop();
  client?.destroy();
  await s3?.stop();
});

async function startRecorder(env: Record<string, string>) {
  const bucket = `disk-${process.pid}-${++bucketNo}`;
  const recorder = new RecorderProcess(
    {
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_BUCKET: bucket,
      SEGMENT_DURATION: `${SEGMENT_S}s`,
      RTSP_TIMEOUT: '3s',
      STALL_TIMEOUT: '10s',
      UPLOAD_RETRY_MAX: '2s',
      BACKLOG_CHECK_INTERVAL: '1s',
      SHUTDOWN_GRACE: '0s',
      CAMERA1_RTSP_URL: cameras.url('/cam1'),
      ...env,
    },
    await freePort(),
  );
  running.add(recorder);
  return { recorder, bucket };
}

const uploaded = (l: LogLine): boolean => l.msg === 'segment uploaded';
const droppedLine = (l: LogLine): boolean => l.msg.startsWith('segment dropped');
const keyOf = (camera: string, file: string): string => {
  const m = /^(\d{8})-(\d{6})\.mp4$/.exec(file)!;
  return `${camera}/${m[1]}/${m[2]}_${camera}.mp4`;
};

/** Unmounts a test tmpfs; lazily if something still holds it, so no mount outlives the test. */
function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir]);
  } catch {
    execFileSync('umount', ['-l', dir]);
  }
  rmSync(dir, { recursive: true, force: true });
}

describe('disk and backlog guard end to end', () => {
  test('a store slower than the camera, with a small cap: uploads still complete while the oldest queued segments are dropped and counted', async () => {
    // The camera sends ~100 KB/s; the link to the store passes 35 KB/s: one 4 s segment takes ~12 s.
    const proxy = await startFaultProxy(s3.endpoint, () => false, { throttleBytesPerSecond: 35_000 });
    try {
      const { recorder, bucket } = await startRecorder({
        S3_ENDPOINT: proxy.endpoint,
        TEMP_DIR: mkdtempSync(join(tmpdir(), 'recorder-slow-')),
        MAX_CONCURRENT_UPLOADS: '1',
        BACKLOG_MAX_BYTES: '1200KB',
      });
      await recorder.waitForCount(droppedLine, 2, 120_000, 'segments dropped at the cap');
      await recorder.waitForCount(uploaded, 2, 120_000, 'uploads through the slow link');
      const counted = await recorder.metric('camera_segments_dropped_total', { reason: 'backlog_cap' });
      await recorder.stop('SIGTERM');
      const drops = recorder.logs.filter(droppedLine);
      assert.ok(counted >= 2 && counted <= drops.length, `counted ${counted}, logged ${drops.length}`);
      assert.ok(
        drops.every((l) => l.level === 'error' && l.reason === 'backlog_cap'),
        JSON.stringify(drops),
      );
      assert.ok(
        drops.every((l) => l.uploading === false),
        'only queued segments were dropped, never one being uploaded',
      );
      const keys = await listKeys(client, bucket);
      const stored = recorder.logs.filter(uploaded).map((l) => String(l.key));
      assert.ok(stored.length >= 2 && stored.every((k) => keys.includes(k)), `stored ${stored.join(', ')}; bucket ${keys.join(', ')}`);
      for (const d of drops) assert.ok(!keys.includes(keyOf(String(d.camera), String(d.file))), `${String(d.file)} dropped and stored`);
    } finally {
      await proxy.close();
    }
  });

  test('a 40 MB spool and the default 1 GiB floor, with the store accepting every upload: no segment dropped, /ready 200, the floor reported at start', async () => {
    const spool = mkdtempSync(join(tmpdir(), 'recorder-spool-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=40m', 'tmpfs', spool]);
    let recorder: RecorderProcess | undefined;
    try {
      const started = await startRecorder({ TEMP_DIR: spool, CAMERA2_RTSP_URL: cameras.url('/cam2') });
      recorder = started.recorder;
      const { bucket } = started;
      await recorder.waitForCount(uploaded, 8, 120_000, 'uploads');
      assert.equal((await recorder.get('/ready')).status, 200);
      assert.equal(await recorder.metric('camera_segments_dropped_total'), 0);
      const warning = recorder.logs.find(
        (l) => l.level === 'warn' && l.msg.includes('backlog.min_free_bytes (1GiB) is not smaller than the temp_dir filesystem'),
      );
      assert.ok(warning, 'the floor the spool cannot hold is reported');
      assert.match(warning.msg, /BACKLOG_MIN_FREE_BYTES/);
      assert.deepEqual(
        recorder.logs.filter((l) => l.level === 'error'),
        [],
        'nothing logged as lost',
      );
      assert.equal((await recorder.stop('SIGTERM')).code, 0);
      assert.ok((await listKeys(client, bucket)).length >= 8);
    } finally {
      await recorder?.stop('SIGTERM'); // ffmpeg finalizes and exits: nothing holds the spool
      unmount(spool);
    }
  });
});

// End-to-end check of the test harness itself: the synthetic RTSP cameras and the Ceph S3 store
// are real servers on 127.0.0.1 and behave the way the recorder's e2e tests rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startRtspServer } from '../support/rtsp-server.ts';
import { s3Client, startS3Server } from '../support/s3-server.ts';

/** Codec names of all streams, as ffprobe over RTSP/TCP reports them (sorted). */
function probeCodecs(url: string): Promise<string[]> {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  const args = ['-v', 'error', '-analyzeduration', '500000', '-rtsp_transport', 'tcp', '-timeout', '5000000',
    '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', url];
  return new Promise((resolve, reject) => {
    execFile('ffprobe', args, { timeout: 20_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ffprobe ${url}: ${stderr.trim() || err.message}`));
      else
        resolve(
          stdout
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean)
            .sort(),
        );
    });
  });
}

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown; cause?: { code?: unknown } };
  return String(e.code ?? e.cause?.code ?? e.name);
}

test('RTSP camera server: h264+aac and h264+pcm_alaw over TCP, kill and restart on the same port', { timeout: 120_000 }, async (t) => {
  const t0 = performance.now();
  const rtsp = await startRtspServer({ mounts: { '/cam1': 'aac', '/cam2': 'alaw' } });
  try {
    t.diagnostic(`rtsp server started in ${Math.round(performance.now() - t0)} ms on port ${rtsp.port}`);
    assert.equal(rtsp.url('/cam1'), `rtsp://127.0.0.1:${rtsp.port}/cam1`);
    assert.deepEqual(await probeCodecs(rtsp.url('/cam1')), ['aac', 'h264']);
    assert.deepEqual(await probeCodecs(rtsp.url('cam2')), ['h264', 'pcm_alaw']);

    await rtsp.kill();
    await assert.rejects(probeCodecs(rtsp.url('/cam1')), /ffprobe/);

    const t1 = performance.now();
    await rtsp.start();
    t.diagnostic(`rtsp server restarted in ${Math.round(performance.now() - t1)} ms`);
    assert.deepEqual(await probeCodecs(rtsp.url('/cam1')), ['aac', 'h264']);
    assert.deepEqual(await probeCodecs(rtsp.url('/cam2')), ['h264', 'pcm_alaw']);

    await rtsp.stop(); // SIGTERM: clean exit
    await assert.rejects(probeCodecs(rtsp.url('/cam2')), /ffprobe/);
  } finally {
    await rtsp.kill();
  }
});

test('S3 server (Ceph RGW): streamed put/get, SigV4 checked, gateway down and up again', { timeout: 240_000 }, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'camrec-harness-'));
  const t0 = performance.now();
  const s3 = await startS3Server();
  const client = s3Client(s3);
  try {
    t.diagnostic(`s3 server started in ${Math.round(performance.now() - t0)} ms at ${s3.endpoint}`);
    assert.match(s3.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(s3.accessKeyId, 'S3RVER');

    const Bucket = 'harness';
    await client.send(new CreateBucketCommand({ Bucket }));

    const data = randomBytes(3 * 1024 * 1024 + 17);
    const file = join(work, 'segment.mp4');
    await writeFile(file, data);
    const Key = 'cam1/2024/01/01/00-00-00.mp4';
    await client.send(new PutObjectCommand({ Bucket, Key, Body: createReadStream(file), ContentLength: data.length, ContentType: 'video/mp4' }));
    const got = await client.send(new GetObjectCommand({ Bucket, Key }));
    assert.ok(got.Body);
    assert.ok(Buffer.from(await got.Body.transformToByteArray()).equals(data), 'GetObject returns the bytes put');

    const wrong = s3Client(s3, { credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: `${s3.secretAccessKey}x` }, maxAttempts: 1 });
    try {
      await assert.rejects(wrong.send(new ListBucketsCommand({})), (err: Error) => {
        assert.equal(err.name, 'SignatureDoesNotMatch');
        return true;
      });
    } finally {
      wrong.destroy();
    }

    const t1 = performance.now();
    await s3.stopGateway();
    t.diagnostic(`gateway stopped in ${Math.round(performance.now() - t1)} ms`);
    const once = s3Client(s3, { maxAttempts: 1 });
    try {
      await assert.rejects(once.send(new GetObjectCommand({ Bucket, Key })), (err: unknown) => {
        assert.equal(errorCode(err), 'ECONNREFUSED');
        return true;
      });
    } finally {
      once.destroy();
    }

    const t2 = performance.now();
    await s3.startGateway();
    t.diagnostic(`gateway restarted in ${Math.round(performance.now() - t2)} ms`);
    const again = await client.send(new GetObjectCommand({ Bucket, Key }));
    assert.ok(again.Body);
    assert.ok(Buffer.from(await again.Body.transformToByteArray()).equals(data), 'object survives a gateway restart');
  } finally {
    client.destroy();
    const t3 = performance.now();
    await s3.stop();
    t.diagnostic(`s3 server stopped in ${Math.round(performance.now() - t3)} ms`);
    await rm(work, { recursive: true, force: true });
  }
});

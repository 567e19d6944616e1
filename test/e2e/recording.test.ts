// The service end to end: real GStreamer RTSP cameras, real ffmpeg, a real Ceph RGW, the real CLI.
// Segments are SEGMENT_S (4 s) long so that every scenario sees several of them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { START_AFTER_NAME_MS, START_BEFORE_NAME_MS } from '../../src/segment.ts';
import { fetchSegment, listKeys, localSegments } from '../support/bucket.ts';
import { isRunning } from '../support/child-exit.ts';
import { playableSeconds } from '../support/media.ts';
import type { RecorderProcess, LogLine } from '../support/recorder-process.ts';
import { SEGMENT_S, startS3Recorder } from '../support/s3-recorder.ts';
import { startRtspServer, type RtspServer } from '../support/rtsp-server.ts';
import { s3Client, startS3Server, type S3Server } from '../support/s3-server.ts';

const GOP_S = 2; // the synthetic cameras send a key frame every 2 × fps frames
const CAMERA_PASSWORD = 'campass-Z7q2';

let s3: S3Server;
let client: S3Client;
let cameras: RtspServer;
const running = new Set<RecorderProcess>();

before(async () => {
  [s3, cameras] = await Promise.all([startS3Server(), startRtspServer({ mounts: { '/aac': 'aac', '/alaw': 'alaw' } })]);
  client = s3Client(s3);
});
after(async () => {
  for (const r of running) await r.stop('SIGKILL');
  await cameras?.stop();
  client?.destroy();
  await s3?.stop();
});

function cameraUrl(server: RtspServer, mount: string): string {
  return server.url(mount).replace('rtsp://', `rtsp://viewer:${CAMERA_PASSWORD}@`);
}

async function startRecorder(env: Record<string, string>, opts: { tempDir?: string; bucket?: string } = {}) {
  const started = await startS3Recorder(s3, env, opts);
  running.add(started.recorder);
  return started;
}

const uploaded =
  (camera?: string) =>
  (l: LogLine): boolean =>
    l.msg === 'segment uploaded' && (camera === undefined || l.camera === camera);
const finished =
  (camera?: string) =>
  (l: LogLine): boolean =>
    l.msg === 'segment finished' && (camera === undefined || l.camera === camera);

/** Every segment the recorder said it finished is in the bucket, and no other segment is (snapshots of what the analysis saw may be). */
async function assertNothingLost(recorder: RecorderProcess, bucket: string): Promise<string[]> {
  const keys = (await listKeys(client, bucket)).filter((k) => !k.startsWith('snapshots/'));
  const expected = recorder.logs.filter(finished()).map((l) => {
    const m = /^(\d{8})-(\d{6})\.mp4$/.exec(String(l.file))!;
    return `${l.camera}/${m[1]}/${m[2]}_${l.camera}.mp4`;
  });
  assert.deepEqual(keys, [...new Set(expected)].sort(), 'bucket keys = finished segments');
  return keys;
}

function assertNoSecrets(recorder: RecorderProcess): void {
  const text = recorder.raw.join('\n');
  assert.ok(!text.includes(s3.secretAccessKey), 'S3 secret in a log line');
  assert.ok(!text.includes(CAMERA_PASSWORD), 'camera password in a log line');
}

describe('recording end to end', () => {
  test('two cameras (AAC and G.711): every segment lands under its key as H.264+AAC with a matching sha256; SIGTERM finalizes the last one, exits 0 and leaves TEMP_DIR empty', async () => {
    const { recorder, tempDir, bucket } = await startRecorder({
      CAMERA1_RTSP_URL: cameraUrl(cameras, '/aac'),
      CAMERA2_RTSP_URL: cameraUrl(cameras, '/alaw'),
    });
    await recorder.waitForCount(uploaded('camera-1'), 3, 60_000, 'camera-1 uploads');
    await recorder.waitForCount(uploaded('camera-2'), 3, 60_000, 'camera-2 uploads');
    assert.equal((await recorder.get('/ready')).status, 200);
    assert.equal(await recorder.metric('camera_stream_connected', { camera_id: 'camera-1' }), 1);
    assert.equal(await recorder.metric('camera_stream_connected', { camera_id: 'camera-2' }), 1);
    assert.ok((await recorder.metric('camera_segments_uploaded_total')) >= 6);
    assert.ok((await recorder.metric('camera_recording_bytes_total', { camera_id: 'camera-2' })) > 0);
    const health = JSON.parse((await recorder.get('/health')).body) as { cameras: { id: string; state: string }[] };
    assert.deepEqual(
      health.cameras.map((c) => [c.id, c.state]),
      [
        ['camera-1', 'recording'],
        ['camera-2', 'recording'],
      ],
    );
    const audio = recorder.logs.filter((l) => l.msg === 'starting ffmpeg').map((l) => [l.camera, l.audioCodec, l.audio]);
    assert.deepEqual(audio.slice(0, 2).sort(), [
      ['camera-1', 'aac', 'copy'],
      ['camera-2', 'pcm_alaw', 'transcode'],
    ]);

    const stopAt = Date.now();
    const exit = await recorder.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.deepEqual(localSegments(tempDir), [], 'TEMP_DIR holds no segment');
    const keys = await assertNothingLost(recorder, bucket);
    for (const camera of ['camera-1', 'camera-2']) {
      const mine = keys.filter((k) => k.startsWith(`${camera}/`));
      assert.ok(mine.length >= 4, `${camera}: ${mine.length} objects`);
      const segments = await Promise.all(mine.map((k) => fetchSegment(client, bucket, k)));
      for (const [i, s] of segments.entries()) {
        assert.match(s.key, new RegExp(`^${camera}/\\d{8}/\\d{6}_${camera}\\.mp4$`));
        assert.deepEqual(s.probe.codecs, ['h264', 'aac'], s.key);
        assert.equal(s.metadata.sha256, s.sha256, `${s.key} sha256`);
        assert.equal(s.metadata.size, String(s.size));
        assert.equal(s.metadata.camera, camera);
        // metadata start is the precise wall-clock start; the key has whole seconds of the same moment
        const k = /\/(\d{4})(\d{2})(\d{2})\/(\d{2})(\d{2})(\d{2})_/.exec(s.key)!.slice(1).map(Number);
        const keyMs = Date.UTC(k[0]!, k[1]! - 1, k[2]!, k[3]!, k[4]!, k[5]!);
        const startMs = new Date(s.metadata.start!).getTime();
        // a segment may start seconds before its name (frames ffmpeg read while probing; see src/segment.ts)
        assert.ok(startMs >= keyMs - START_BEFORE_NAME_MS && startMs < keyMs + START_AFTER_NAME_MS, `${s.key}: start ${s.metadata.start}`);
        assert.ok(Math.abs((new Date(s.metadata.end!).getTime() - startMs) / 1000 - Number(s.metadata.duration)) < 0.01);
        // The first segment starts whenever ffmpeg connected and the last is cut by SIGTERM;
        // every one in between is one segment long, give or take one GOP (cuts land on key frames).
        if (i > 0 && i < segments.length - 1) assert.ok(Math.abs(s.probe.durationSec - SEGMENT_S) <= GOP_S + 0.3, `${s.key}: ${s.probe.durationSec} s`);
      }
      const last = segments.at(-1)!;
      const lastEnd = new Date(last.metadata.end!).getTime();
      assert.ok(Math.abs(lastEnd - stopAt) < 3000, `last segment ends ${lastEnd - stopAt} ms from SIGTERM`);
      assert.ok(last.probe.durationSec > 0);
    }
    assertNoSecrets(recorder);
  });

  test('the camera server killed, then back: connected goes 0 then 1, restarts are counted, recording resumes', async () => {
    const camera = await startRtspServer({ mounts: { '/cam': 'aac' } });
    try {
      const { recorder, bucket } = await startRecorder({ CAMERA1_RTSP_URL: cameraUrl(camera, '/cam') });
      await recorder.waitForCount(uploaded(), 1, 60_000, 'first upload');
      assert.equal(await recorder.metric('camera_stream_connected', { camera_id: 'camera-1' }), 1);
      await camera.kill();
      await recorder.until(async () => (await recorder.metric('camera_stream_connected', { camera_id: 'camera-1' })) === 0, 30_000, 'connected = 0');
      await recorder.until(async () => (await recorder.metric('camera_ffmpeg_restarts_total', { camera_id: 'camera-1' })) >= 1, 30_000, 'a restart');
      const uploadsBefore = recorder.logs.filter(uploaded()).length;
      await camera.start();
      await recorder.until(async () => (await recorder.metric('camera_stream_connected', { camera_id: 'camera-1' })) === 1, 60_000, 'connected = 1 again');
      await recorder.waitForCount(uploaded(), uploadsBefore + 2, 60_000, 'uploads after the camera came back');
      assert.deepEqual(await recorder.stop(), { code: 0, signal: null });
      await assertNothingLost(recorder, bucket);
      assertNoSecrets(recorder);
    } finally {
      await camera.stop();
    }
  });

  test('a camera whose audio was switched on while it was down: the restart keeps the old plan, the probe made while recording sees the change, and ffmpeg restarts with audio; nothing lost', async () => {
    const silent = await startRtspServer({ mounts: { '/cam': 'none' } });
    let withAudio: RtspServer | undefined;
    try {
      const { recorder, bucket } = await startRecorder({ CAMERA1_RTSP_URL: cameraUrl(silent, '/cam') });
      await recorder.waitForCount(uploaded(), 1, 60_000, 'first upload');
      const [firstKey] = await listKeys(client, bucket);
      assert.deepEqual((await fetchSegment(client, bucket, firstKey!)).probe.codecs, ['h264'], 'recorded without audio');
      await silent.kill();
      await recorder.until(async () => (await recorder.metric('camera_stream_connected', { camera_id: 'camera-1' })) === 0, 30_000, 'connected = 0');
      withAudio = await startRtspServer({ mounts: { '/cam': 'aac' }, port: silent.port });
      const [changed] = await recorder.waitForCount(
        (l) => l.msg === "the camera's audio changed; restarting ffmpeg with the new audio plan",
        1,
        60_000,
        'the audio change seen',
      );
      assert.equal(changed!.was, 'none');
      assert.equal(changed!.now, 'copy');
      await recorder.waitForCount((l) => l.msg === 'starting ffmpeg' && l.audio === 'copy', 1, 30_000, 'ffmpeg started with the audio');
      const starts = recorder.logs.filter((l) => l.msg === 'starting ffmpeg').map((l) => `${String(l.audio)} from ${String(l.audioFrom)}`);
      assert.equal(starts[0], 'none from probe');
      assert.equal(starts.at(-1), 'copy from probe while recording');
      assert.deepEqual(new Set(starts.slice(1, -1)), new Set(['none from last run']), 'until then, restarts kept the last plan without probing first');
      const uploadsBefore = recorder.logs.filter(uploaded()).length;
      await recorder.waitForCount(uploaded(), uploadsBefore + 2, 60_000, 'uploads after the change');
      assert.deepEqual(await recorder.stop(), { code: 0, signal: null });
      const keys = await assertNothingLost(recorder, bucket);
      assert.deepEqual((await fetchSegment(client, bucket, keys.at(-2)!)).probe.codecs, ['h264', 'aac'], 'recorded with audio after the change');
      assertNoSecrets(recorder);
    } finally {
      await silent.stop();
      await withAudio?.stop();
    }
  });

  test('a camera that serves one client at a time: the audio check beside ffmpeg drops it once, then the camera is probed before each start and records without further restarts', async () => {
    const camera = await startRtspServer({ mounts: { '/cam': 'aac' }, oneClient: true });
    try {
      const { recorder, bucket } = await startRecorder({ CAMERA1_RTSP_URL: cameraUrl(camera, '/cam') });
      await recorder.waitForCount(uploaded(), 1, 60_000, 'first upload');
      // another client takes the camera: ffmpeg is dropped and restarts with the audio decision it had
      await new Promise((resolve) => execFile('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', camera.url('/cam')], { timeout: 10_000 }, resolve));
      await recorder.waitForCount(
        (l) => l.msg.startsWith('the stream ended while a second connection checked the camera'),
        1,
        60_000,
        'the one-client camera noticed',
      );
      assert.deepEqual(
        recorder.logs
          .filter((l) => l.msg === 'starting ffmpeg')
          .slice(0, 2)
          .map((l) => l.audioFrom),
        ['probe', 'last run'],
      );
      await recorder.waitForCount((l) => l.msg === 'starting ffmpeg' && l.audioFrom === 'probe', 2, 30_000, 'a start probed first again');
      const restarts = recorder.logs.filter((l) => l.msg === 'ffmpeg exited; restarting').length;
      const uploadsBefore = recorder.logs.filter(uploaded()).length;
      await recorder.waitForCount(uploaded(), uploadsBefore + 3, 60_000, 'uploads after');
      assert.equal(recorder.logs.filter((l) => l.msg === 'ffmpeg exited; restarting').length, restarts, 'no restart while three segments were recorded');
      assert.equal(recorder.logs.filter((l) => l.msg.startsWith('the stream ended while a second connection')).length, 1);
      assert.deepEqual(await recorder.stop(), { code: 0, signal: null });
      await assertNothingLost(recorder, bucket);
      assertNoSecrets(recorder);
    } finally {
      await camera.stop();
    }
  });

  test('the store down for ~30 s: failures are counted, /ready turns false, and every segment is uploaded once it is back', async () => {
    const { recorder, bucket, tempDir } = await startRecorder({ CAMERA1_RTSP_URL: cameraUrl(cameras, '/aac') });
    await recorder.waitForCount(uploaded(), 1, 60_000, 'first upload');
    await s3.stopGateway();
    try {
      await recorder.until(async () => (await recorder.metric('camera_upload_failures_total')) >= 1, 30_000, 'an upload failure');
      await recorder.until(async () => (await recorder.get('/ready')).status === 503, 30_000, '/ready = 503');
      await new Promise((r) => setTimeout(r, 20_000));
      assert.ok(localSegments(tempDir).length >= 3, `segments waiting on disk: ${localSegments(tempDir).length}`);
      assert.ok((await recorder.metric('camera_backlog_bytes', { camera_id: 'camera-1' })) > 0);
    } finally {
      await s3.startGateway();
    }
    await recorder.until(async () => (await recorder.metric('camera_upload_queue_segments')) === 0, 90_000, 'backlog drained');
    await recorder.until(async () => (await recorder.get('/ready')).status === 200, 30_000, '/ready = 200 again');
    assert.deepEqual(await recorder.stop(), { code: 0, signal: null });
    const keys = await assertNothingLost(recorder, bucket);
    assert.ok(keys.length >= 6, `${keys.length} objects`);
    assertNoSecrets(recorder);
  });

  test('SIGKILL of the recorder and its ffmpeg mid-segment: the next start uploads what was left, the cut segment readable', async () => {
    const { recorder, tempDir, bucket } = await startRecorder({ CAMERA1_RTSP_URL: cameraUrl(cameras, '/aac'), SEGMENT_DURATION: '30s' });
    await recorder.waitForLog((l) => l.msg === 'stream connected', 60_000, 'stream connected');
    // Kill once the segment being written holds at least 3 s on disk. Its age by name cannot say that:
    // a fragment reaches the disk only when the next key frame arrives, so what a segment holds lags
    // its name by up to a GOP plus the part of the second its first key frame came in.
    let onDisk = 0;
    await recorder.until(
      async () => {
        const newest = localSegments(tempDir).at(-1);
        onDisk = newest ? playableSeconds(join(tempDir, newest)) : 0;
        return onDisk >= 3;
      },
      40_000,
      'a segment holding 3 s on disk',
    );
    const ffmpegPid = Number(readFileSync(join(tempDir, 'camera-1', '.ffmpeg.pid'), 'utf8'));
    process.kill(ffmpegPid, 'SIGKILL');
    await recorder.stop('SIGKILL');
    const left = localSegments(tempDir);
    assert.ok(left.length >= 1, 'a segment was left on disk');
    const partialKey = left
      .map((f) => {
        const m = /^camera-1\/(\d{8})-(\d{6})\.mp4$/.exec(f)!;
        return `camera-1/${m[1]}/${m[2]}_camera-1.mp4`;
      })
      .at(-1)!;

    const again = await startRecorder({ CAMERA1_RTSP_URL: cameraUrl(cameras, '/aac'), SEGMENT_DURATION: '30s' }, { tempDir, bucket });
    await again.recorder.waitForLog((l) => l.msg === 'segment uploaded' && l.key === partialKey, 60_000, `upload of ${partialKey}`);
    const partial = await fetchSegment(client, bucket, partialKey);
    assert.deepEqual(partial.probe.codecs, ['h264', 'aac']);
    // everything that was on disk when the kill came is in the stored segment
    assert.ok(partial.probe.durationSec >= onDisk, `cut segment plays ${partial.probe.durationSec} s, ${onDisk} s were on disk`);
    assert.equal(partial.metadata.sha256, partial.sha256);
    assert.deepEqual(await again.recorder.stop(), { code: 0, signal: null });
    assert.deepEqual(localSegments(tempDir), []);
    assertNoSecrets(recorder);
    assertNoSecrets(again.recorder);
  });

  test('SIGKILL of the recorder alone: its orphaned ffmpeg is stopped at the next start and its segment uploaded', async () => {
    const { recorder, tempDir, bucket } = await startRecorder({ CAMERA1_RTSP_URL: cameraUrl(cameras, '/aac'), SEGMENT_DURATION: '30s' });
    await recorder.waitForLog((l) => l.msg === 'stream connected', 60_000, 'stream connected');
    const ffmpegPid = Number(readFileSync(join(tempDir, 'camera-1', '.ffmpeg.pid'), 'utf8'));
    await recorder.stop('SIGKILL');
    assert.doesNotThrow(() => process.kill(ffmpegPid, 0), 'ffmpeg outlived its parent');
    await new Promise((r) => setTimeout(r, 1000));
    const orphanKeys = localSegments(tempDir).map((f) => f.replace(/^(camera-1)\/(\d{8})-(\d{6})\.mp4$/, '$1/$2/$3_$1.mp4'));
    assert.ok(orphanKeys.length >= 1, 'the orphan is writing a segment');
    const again = await startRecorder({ CAMERA1_RTSP_URL: cameraUrl(cameras, '/aac'), SEGMENT_DURATION: '30s' }, { tempDir, bucket });
    await again.recorder.waitForLog((l) => l.msg.includes('earlier run still recording') && l.pid === ffmpegPid, 30_000, 'orphan stopped');
    await again.recorder.waitForCount(uploaded(), 1, 60_000, "the orphan's segment uploaded");
    assert.equal(isRunning(ffmpegPid), false, 'orphaned ffmpeg is gone');
    assert.deepEqual(await again.recorder.stop(), { code: 0, signal: null });
    const keys = await listKeys(client, bucket);
    for (const k of orphanKeys) assert.ok(keys.includes(k), `${k} stored`);
    assert.deepEqual(localSegments(tempDir), []);
  });

  test('a wrong S3 secret: not ready with a clear reason, an error that names the fix, segments kept on disk', async () => {
    const wrong = 'wrong-Secret-Value-1234';
    const { recorder, tempDir } = await startRecorder({ CAMERA1_RTSP_URL: cameraUrl(cameras, '/aac'), S3_SECRET_ACCESS_KEY: wrong, SHUTDOWN_GRACE: '3s' });
    await recorder.waitForCount(finished(), 2, 60_000, 'finished segments');
    const ready = await recorder.get('/ready');
    assert.equal(ready.status, 503);
    assert.match(ready.body, /store not answering: \w+ \S+ failed \(auth: .*check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY/);
    const warning = await recorder.waitForLog((l) => l.level === 'warn' && l.msg.startsWith('store not usable'), 5000, 'store warning'); // not error: nothing is lost
    assert.match(JSON.stringify(warning), /check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY/);
    assert.equal(await recorder.metric('camera_segments_uploaded_total'), 0);
    assert.ok(localSegments(tempDir).length >= 2, 'segments kept on disk');
    assert.deepEqual(await recorder.stop('SIGTERM'), { code: 0, signal: null });
    assert.ok(localSegments(tempDir).length >= 2, 'segments still on disk after shutdown');
    const text = recorder.raw.join('\n');
    assert.ok(!text.includes(wrong) && !text.includes(CAMERA_PASSWORD));
  });
});

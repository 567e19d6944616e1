// Faults of the camera and of the local disk, end to end: the real CLI, real ffmpeg, a real
// GStreamer RTSP camera (behind a proxy that can stop its media), TEMP_DIR on a real small tmpfs.
// The store is the filesystem one: these faults are not about the store.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../support/ports.ts';
import { RecorderProcess, type LogLine } from '../support/recorder-process.ts';
import { startRtspProxy, type RtspProxy } from '../support/rtsp-proxy.ts';
import { startRtspServer, type RtspServer } from '../support/rtsp-server.ts';

let cameras: RtspServer;
const running = new Set<RecorderProcess>();

before(async () => {
  cameras = await startRtspServer({ mounts: { '/aac': 'aac' } });
});
after(async () => {
  for (const r of running) await r.stop('SIGKILL');
  await cameras?.stop();
});

async function startRecorder(env: Record<string, string>): Promise<RecorderProcess> {
  const recorder = new RecorderProcess(
    {
      STORAGE: 'filesystem',
      FILESYSTEM_ROOT: mkdtempSync(join(tmpdir(), 'faults-store-')),
      SEGMENT_DURATION: '4s',
      RTSP_TIMEOUT: '5s',
      STALL_TIMEOUT: '8s',
      RESTART_INITIAL: '500ms',
      RESTART_MAX: '1s',
      // far longer than any wait below: a stalled ffmpeg must not be left to sit it out
      FFMPEG_STOP_TIMEOUT: '120s',
      UPLOAD_RETRY_MAX: '1s',
      ...env,
    },
    await freePort(),
  );
  running.add(recorder);
  return recorder;
}

const uploaded = (l: LogLine): boolean => l.msg === 'segment uploaded';
const restarted = (l: LogLine): boolean => l.msg === 'ffmpeg exited; restarting';
const count = (recorder: RecorderProcess, match: (l: LogLine) => boolean): number => recorder.logs.filter(match).length;

describe('recorder faults end to end', () => {
  test('a camera that keeps the connection and stops sending: camera_stream_connected 0 while ffmpeg still hangs, ffmpeg killed and restarted, the gap counted as stalled', async () => {
    const proxy: RtspProxy = await startRtspProxy(cameras.port);
    try {
      const tempDir = mkdtempSync(join(tmpdir(), 'faults-'));
      // the frozen camera still sends its RTCP reports, so ffmpeg's own socket timeout never fires: only the watchdog ends the stall
      const recorder = await startRecorder({ CAMERA1_RTSP_URL: proxy.url('/aac'), TEMP_DIR: tempDir });
      await recorder.waitForCount(uploaded, 1, 60_000, 'a first upload');
      assert.equal(await recorder.metric('camera_stream_connected', { camera_id: 'camera-1' }), 1);
      const ffmpegPid = Number(readFileSync(join(tempDir, 'camera-1', '.ffmpeg.pid'), 'utf8'));
      assert.ok(proxy.freeze() >= 1, 'the ffmpeg connection frozen');

      // the gauge falls while the stalled ffmpeg is still there, not only when it is gone
      await recorder.until(
        async () => (await recorder.metric('camera_stream_connected', { camera_id: 'camera-1' })) === 0,
        30_000,
        'camera_stream_connected 0',
      );
      assert.doesNotThrow(() => process.kill(ffmpegPid, 0), 'camera_stream_connected fell only when the stalled ffmpeg was gone');
      assert.equal(count(recorder, restarted), 0, 'camera_stream_connected fell only when ffmpeg exited');

      // killed by the watchdog well before stop_timeout (120 s) would have let it go, then restarted
      const exit = await recorder.waitForLog(restarted, 60_000, 'the stalled ffmpeg killed');
      assert.equal(exit.reason, 'stalled');
      // ended by the watchdog's signals (255 is ffmpeg's exit code after a SIGINT it obeyed; that
      // only the SIGKILL ends an ffmpeg that ignores SIGINT is shown by stuck-ffmpeg.test.ts)
      assert.ok(exit.exitCode === 255 || exit.signal === 'SIGKILL', `ffmpeg ended with exit code ${String(exit.exitCode)}, signal ${String(exit.signal)}`);
      const uploadsBefore = count(recorder, uploaded);
      await recorder.waitForCount((l) => l.msg === 'stream connected', 2, 60_000, 'the stream connected again');
      await recorder.waitForCount(uploaded, uploadsBefore + 1, 60_000, 'an upload after the restart');
      assert.equal(await recorder.metric('camera_stream_connected', { camera_id: 'camera-1' }), 1);
      const stalled = await recorder.metric('camera_recording_gap_seconds_total', { camera_id: 'camera-1', reason: 'stalled' });
      assert.ok(stalled >= 5, `gap counted as stalled: ${stalled} s`);
      assert.deepEqual(await recorder.stop(), { code: 0, signal: null });
      assert.equal(recorder.logs.filter((l) => l.level === 'error').length, 0, 'nothing logged at error');
    } finally {
      await proxy.close();
    }
  });

  test('a camera that does not answer: /health says degraded and names it (still 200), /ready stays 200, the gap counted as camera_unreachable', async () => {
    const deadPort = await freePort();
    const recorder = await startRecorder({
      TEMP_DIR: mkdtempSync(join(tmpdir(), 'faults-')),
      CAMERA1_RTSP_URL: cameras.url('/aac'),
      CAMERA2_RTSP_URL: `rtsp://127.0.0.1:${deadPort}/cam`,
      STALL_TIMEOUT: '8s',
    });
    await recorder.waitForCount(uploaded, 1, 60_000, 'camera-1 recording');
    // camera-2 has had no frame for longer than stall_timeout + restart_max
    await recorder.until(async () => JSON.parse((await recorder.get('/health')).body).status === 'degraded', 60_000, '/health degraded');
    const health = await recorder.get('/health');
    assert.equal(health.status, 200, 'liveness stays 200: a restart would not bring the camera back');
    const body = JSON.parse(health.body) as { notRecording: { id: string; reason: string }[] };
    assert.deepEqual(
      body.notRecording.map((c) => [c.id, c.reason]),
      [['camera-2', 'camera_unreachable']],
    );
    assert.equal((await recorder.get('/ready')).status, 200, 'a camera in backoff does not take the API out of service');
    assert.ok((await recorder.metric('camera_recording_gap_seconds_total', { camera_id: 'camera-2', reason: 'camera_unreachable' })) > 0);
    assert.deepEqual(await recorder.stop(), { code: 0, signal: null });
  });

  test('TEMP_DIR full (ENOSPC from ffmpeg): nothing crashes, the gap is counted as disk_full, and recording resumes once space is freed', async () => {
    const tempDir = mkdtempSync(join(tmpdir(), 'faults-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16M', 'tmpfs', tempDir]);
    const filler = join(tempDir, 'filler');
    try {
      // the backlog guard is not what this test is about: no free-space floor
      const recorder = await startRecorder({ CAMERA1_RTSP_URL: cameras.url('/aac'), TEMP_DIR: tempDir, BACKLOG_MIN_FREE_BYTES: '0' });
      await recorder.waitForCount(uploaded, 1, 60_000, 'a first upload');
      fillDisk(filler);
      await recorder.waitForLog((l) => l.level === 'error' && l.msg.startsWith('disk full'), 60_000, 'disk full reported');
      await recorder.until(
        async () => (await recorder.metric('camera_recording_gap_seconds_total', { camera_id: 'camera-1', reason: 'disk_full' })) > 0,
        30_000,
        'a disk_full gap counted',
      );
      assert.equal(recorder.child.exitCode, null, 'the recorder is running');

      rmSync(filler);
      const uploadsBefore = count(recorder, uploaded);
      const connectedBefore = count(recorder, (l) => l.msg === 'stream connected');
      await recorder.waitForCount((l) => l.msg === 'stream connected', connectedBefore + 1, 60_000, 'recording again');
      await recorder.waitForCount(uploaded, uploadsBefore + 2, 60_000, 'uploads after space was freed');
      assert.deepEqual(await recorder.stop(), { code: 0, signal: null });
    } finally {
      rmSync(filler, { force: true });
      execFileSync('umount', ['--lazy', tempDir]);
      rmSync(tempDir, { recursive: true, force: true });
    }
  });
});

/** Writes until the filesystem refuses: the next write of ffmpeg fails with ENOSPC. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

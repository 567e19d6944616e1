// Cameras added, changed and removed at runtime with real recorders (ffmpeg against GStreamer RTSP
// cameras), while a second camera records: its segments stay contiguous and its ffmpeg is never
// restarted. A new URL takes effect and the segments go on under the same id; a removed camera's
// last segment is finalized and handed on. And a file camera plays a real video in a loop.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CameraRecorder } from '../../src/camera/recorder.ts';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics.ts';
import { Redactor } from '../../src/redact.ts';
import type { FinishedSegment } from '../../src/segment.ts';
import { configCamera, testSupervisor } from '../support/camera-supervisor.ts';
import { probeFile } from '../support/media.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { startRtspServer, type RtspServer } from '../support/rtsp-server.ts';
import { until } from '../support/until.ts';

const SEGMENT_MS = 2000;
let rtsp: RtspServer;

before(async () => {
  rtsp = await startRtspServer({ mounts: { '/steady': 'none', '/first': 'aac', '/second': 'none' }, size: '160x120', fps: 10, kbps: 200 });
});
after(async () => {
  await rtsp?.stop();
});

/** Real recorders into a temp dir; every finished segment is collected per camera. */
function realRecorders(tempDir: string) {
  const metrics = createMetrics();
  const segments = new Map<string, FinishedSegment[]>();
  const log = createLogger('silent', new Redactor());
  const make = (camera: { id: string; url: string }): CameraRecorder =>
    new CameraRecorder({
      camera,
      settings: {
        tempDir,
        segmentDurationMs: SEGMENT_MS,
        rtspTimeoutMs: 5000,
        stallTimeoutMs: 20_000,
        restartInitialMs: 200,
        restartMaxMs: 1000,
        stableAfterMs: 60_000,
        stopTimeoutMs: 10_000,
        ffmpegPath: 'ffmpeg',
        ffprobePath: 'ffprobe',
      },
      log,
      metrics,
      clock: systemClock,
      onSegment: (s) => segments.set(s.cameraId, [...(segments.get(s.cameraId) ?? []), s]),
    });
  const of = (id: string): FinishedSegment[] => segments.get(id) ?? [];
  return { metrics, make, of };
}

describe('cameras at runtime with real recorders', () => {
  test("adding, changing and removing a camera never interrupts another; a new URL takes effect under the same id; a removed camera's last segment is handed on", async () => {
    const tempDir = mkdtempSync(join(tmpdir(), 'camera-changes-'));
    const rec = realRecorders(tempDir);
    const { supervisor } = testSupervisor({
      store: new MemoryStore(),
      newRecorder: rec.make,
      tempDir,
      metrics: rec.metrics,
      configCameras: [configCamera('steady', rtsp.url('/steady'), 'config.toml cameras[0]')],
    });
    try {
      await supervisor.start();
      await until('steady records', () => rec.of('steady').length >= 1);

      await supervisor.add({ id: 'mover', source_type: 'rtsp', source_url: rtsp.url('/first') });
      await until('mover records from /first', () => rec.of('mover').length >= 2);
      const before = rec.of('mover').length;
      assert.deepEqual(probeFile(rec.of('mover').at(-1)!.path).codecs, ['h264', 'aac'], '/first sends audio');

      await supervisor.change('mover', { source_url: rtsp.url('/second') });
      await until('mover records from /second', () =>
        rec
          .of('mover')
          .slice(before)
          .some((s) => probeFile(s.path).codecs.join() === 'h264'),
      );
      assert.equal(supervisor.get('mover')?.source_url, rtsp.url('/second'));

      const beforeRemove = rec.of('mover').length;
      const removed = await supervisor.remove('mover');
      assert.equal(removed.id, 'mover');
      assert.ok(rec.of('mover').length > beforeRemove, 'the segment being recorded was finalized and handed on');
      const reported = new Set(rec.of('mover').map((s) => s.path));
      for (const name of readdirSync(join(tempDir, 'mover')).filter((n) => n.endsWith('.mp4')))
        assert.ok(reported.has(join(tempDir, 'mover', name)), `${name} was handed on`);
      assert.equal(supervisor.get('mover'), undefined);

      const settle = rec.of('steady').length;
      await until('steady records on', () => rec.of('steady').length >= settle + 2);
    } finally {
      await supervisor.stop();
    }
    // steady: one ffmpeg from start to stop, segments back to back at the clock-aligned cuts
    const steady = rec.of('steady');
    const restarts = (await rec.metrics.ffmpegRestarts.get()).values.find((v) => v.labels.camera_id === 'steady')?.value;
    assert.equal(restarts, 0, "steady's ffmpeg was never restarted");
    for (let i = 1; i < steady.length - 1; i++) {
      // the first segment starts at the connection and the last ends at stop: the ones between are whole
      assert.equal(steady[i + 1]!.startMs - steady[i]!.startMs, SEGMENT_MS, `segment ${i} of steady is followed by the next one without a gap`);
    }
    assert.ok(steady.length >= 5, `steady recorded ${steady.length} segments`);
  });

  test('a file camera plays a real video in a loop at its own pace through a real recorder', async () => {
    const tempDir = mkdtempSync(join(tmpdir(), 'file-camera-'));
    const video = join(tempDir, 'loop.mp4');
    // biome-ignore format: ffmpeg arguments read as flag-value pairs
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10:duration=3',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p', video]);
    const rec = realRecorders(tempDir);
    const camera = { ...configCamera('loop', `file:${video}`, 'config.toml cameras[0]'), sourceType: 'file' as const };
    const { supervisor } = testSupervisor({ store: new MemoryStore(), newRecorder: rec.make, tempDir, metrics: rec.metrics, configCameras: [camera] });
    try {
      await supervisor.start();
      await until('4 segments of the 3 s file', () => rec.of('loop').length >= 4);
    } finally {
      await supervisor.stop();
    }
    const whole = rec.of('loop').slice(1, -1);
    const recorded = whole.reduce((sum, s) => sum + probeFile(s.path).durationSec, 0);
    assert.ok(recorded > 3, `more footage than the 3 s file holds: ${recorded} s, so it looped`);
    for (const s of whole) assert.deepEqual(probeFile(s.path).codecs, ['h264'], 'copied, not re-encoded to something else');
    // cuts follow the wall clock: a file read as fast as possible would put far more media in each
    for (const s of whole)
      assert.ok(
        Math.abs(probeFile(s.path).durationSec - SEGMENT_MS / 1000) < 0.6,
        `a ${SEGMENT_MS / 1000} s segment holds ${probeFile(s.path).durationSec} s of video: played at its own pace`,
      );
  });
});

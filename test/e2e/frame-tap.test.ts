// The frame tap against a real camera: the real recorder (its ffmpeg with the key-frame branch) hands
// key frames to a consumer that is stuck for 30 s, and keeps
// the newest key frame as a JPEG. The recording in the same ffmpeg must not notice.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CameraRecorder } from '../../src/camera/recorder.ts';
import { systemClock } from '../../src/clock.ts';
import type { TapFrame } from '../../src/frames/frame-tap.ts';
import { createMetrics } from '../../src/metrics.ts';
import type { FinishedSegment } from '../../src/segment.ts';
import { lineLogger } from '../support/line-logger.ts';
import { recorderSettings } from '../support/recorder-settings.ts';
import { type RtspServer, startRtspServer } from '../support/rtsp-server.ts';
import { until } from '../support/until.ts';

const FPS = 15; // the test camera sends a key frame every 2 * FPS frames: every 2 s
const SEGMENT_S = 4;
const BLOCK_MS = 30_000;

let camera: RtspServer;
let tempDir: string;
before(async () => {
  camera = await startRtspServer({ mounts: { '/cam': 'none' }, fps: FPS });
  tempDir = mkdtempSync(join(tmpdir(), 'frame-tap-'));
});
after(async () => {
  await camera.stop();
  rmSync(tempDir, { recursive: true, force: true });
});

const videoPackets = (path: string): number =>
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  Number(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', path], { encoding: 'utf8' }).trim());

test('a frame consumer stuck for 30 s costs frames, never footage: segments keep closing, contiguous and full, frames resume, and the snapshot is the newest key frame', async () => {
  const { log, lines } = lineLogger();
  const segments: FinishedSegment[] = [];
  const frames: TapFrame[] = [];
  let blocked: { segmentsAtStart: number; segmentsAtEnd?: number } | undefined;
  const recorder = new CameraRecorder({
    camera: { id: 'cam', url: camera.url('/cam') },
    settings: recorderSettings(tempDir, { segmentDurationMs: SEGMENT_S * 1000, rtspTimeoutMs: 5000, stallTimeoutMs: 10_000 }),
    log,
    metrics: createMetrics(),
    clock: systemClock,
    onSegment: (segment) => void segments.push(segment),
    snapshotWidth: 640,
    frames: {
      width: 320,
      height: 180,
      onFrame: async (frame) => {
        frames.push(frame);
        if (blocked !== undefined) return;
        const state: { segmentsAtStart: number; segmentsAtEnd?: number } = { segmentsAtStart: segments.length };
        blocked = state;
        await new Promise((resolve) => setTimeout(resolve, BLOCK_MS));
        state.segmentsAtEnd = segments.length;
      },
    },
  });
  recorder.start();
  try {
    await until('the consumer to be unblocked', () => blocked?.segmentsAtEnd !== undefined, { timeoutMs: BLOCK_MS + 60_000 });
    const seen = frames.length;
    await until('frames after the block', () => frames.length >= seen + 2, { timeoutMs: 30_000 });
  } finally {
    await recorder.stop();
  }
  const b = blocked as { segmentsAtStart: number; segmentsAtEnd: number };
  const context = `segments ${JSON.stringify(segments.map((s) => [s.startMs, s.listedDurationSec]))}\nlog:\n${lines.join('')}`;

  // The recording went on while nobody took frames: a stalled ffmpeg closes at most one segment in 30 s.
  const closedWhileBlocked = b.segmentsAtEnd - b.segmentsAtStart;
  assert.ok(closedWhileBlocked >= BLOCK_MS / 1000 / SEGMENT_S - 2, `only ${closedWhileBlocked} segments closed during the block\n${context}`);
  assert.ok(!lines.some((l) => /no frames from the camera|no progress from ffmpeg/.test(l)), `the recorder saw a stall\n${context}`);
  // Contiguous: each segment starts where the one before ended (names are whole seconds, opened up to a
  // second late). The run's first segment also holds what ffmpeg read while probing: its span is not its name's.
  for (let i = 2; i < segments.length; i++) {
    const prev = segments[i - 1] as FinishedSegment;
    const gapMs = (segments[i] as FinishedSegment).startMs - (prev.startMs + (prev.listedDurationSec ?? 0) * 1000);
    assert.ok(Math.abs(gapMs) <= 1500, `${gapMs} ms between segments ${i - 1} and ${i}\n${context}`);
  }
  // Full: the stream copy got every frame although the decoder skipped all but key frames.
  for (const s of segments.slice(1, -1)) {
    const expected = (s.listedDurationSec ?? 0) * FPS;
    const got = videoPackets(s.path);
    assert.ok(Math.abs(got - expected) <= 1, `${s.path}: ${got} video frames for ${s.listedDurationSec} s\n${context}`);
  }
  // Frames were small gray key frames, and the newest kept replacing one another while the consumer was stuck.
  for (const f of frames) assert.equal(f.data.length, 320 * 180);
  assert.ok((frames.at(-1)?.atMs ?? 0) > (frames[0]?.atMs ?? 0) + BLOCK_MS, 'frames resumed after the block');
  assert.ok(!lines.some((l) => /frame consumer failed/.test(l)), context);
  // The snapshot branch of the same ffmpeg: the newest key frame as a 640-wide JPEG, from after the block.
  const snapshot = recorder.snapshot;
  assert.ok(snapshot !== undefined && snapshot.atMs >= (frames.at(-1)?.atMs ?? 0) - 2000, 'a snapshot from the last key frames');
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  const probed = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', '-'], { input: snapshot.jpeg, encoding: 'utf8' }).trim();
  assert.equal(probed, 'mjpeg,640,360');
});

// The frame tap against a real camera: the recorder's ffmpeg command with the key-frame branch, read
// by FrameTap whose consumer is stuck for 30 s. The recording in the same ffmpeg must not notice.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { ffmpegArgs } from '../../src/camera/ffmpeg-args.ts';
import { FrameTap, type TapFrame } from '../../src/frames/frame-tap.ts';
import { waitExit } from '../support/child-exit.ts';
import { type RtspServer, startRtspServer } from '../support/rtsp-server.ts';
import { until } from '../support/until.ts';

const FPS = 15; // the test camera sends a key frame every 2 * FPS frames: every 2 s
const SEGMENT_S = 4;
const BLOCK_MS = 30_000;

let camera: RtspServer;
let dir: string;
before(async () => {
  camera = await startRtspServer({ mounts: { '/cam': 'none' }, fps: FPS });
  dir = mkdtempSync(join(tmpdir(), 'frame-tap-'));
});
after(async () => {
  await camera.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Listed {
  file: string;
  start: number;
  end: number;
}
const listed = (listPath: string): Listed[] => {
  let text = '';
  try {
    text = readFileSync(listPath, 'utf8');
  } catch {
    return [];
  }
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [file = '', start = '', end = ''] = line.split(',');
      return { file, start: Number(start), end: Number(end) };
    });
};
const videoPackets = (path: string): number =>
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  Number(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', path], { encoding: 'utf8' }).trim());

test('a frame consumer stuck for 30 s costs frames, never footage: segments keep closing, contiguous and full, and frames resume', async () => {
  const outDir = join(dir, 'cam');
  const listPath = join(outDir, '.segment-list', 'segments.csv');
  mkdirSync(join(outDir, '.segment-list'), { recursive: true });
  const args = ffmpegArgs({
    url: camera.url('/cam'),
    audio: 'none',
    segmentSeconds: SEGMENT_S,
    rtspTimeoutMs: 10_000,
    outDir,
    listPath,
    frames: { width: 320, height: 180, pipeFd: 3 },
  });
  const ffmpeg = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { TZ: 'UTC', PATH: process.env.PATH } });
  ffmpeg.stdout?.resume();
  let stderr = '';
  ffmpeg.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000);
  });

  const frames: TapFrame[] = [];
  let blocked: { listedAtStart: number; listedAtEnd?: number } | undefined;
  const errors: unknown[] = [];
  const tap = new FrameTap(ffmpeg.stdio[3] as Readable, {
    width: 320,
    height: 180,
    onError: (err) => errors.push(err),
    onFrame: async (frame) => {
      frames.push(frame);
      if (blocked !== undefined) return;
      const state: { listedAtStart: number; listedAtEnd?: number } = { listedAtStart: listed(listPath).length };
      blocked = state;
      await new Promise((resolve) => setTimeout(resolve, BLOCK_MS));
      state.listedAtEnd = listed(listPath).length;
    },
  });

  try {
    // Wait for the block to end, then for two frames after it.
    await until('the consumer to be unblocked', () => blocked?.listedAtEnd !== undefined, { timeoutMs: BLOCK_MS + 60_000 });
    await until('frames after the block', () => frames.length >= 3, { timeoutMs: 30_000 });
  } finally {
    ffmpeg.kill('SIGINT');
    await waitExit(ffmpeg, 10_000);
  }
  const b = blocked as { listedAtStart: number; listedAtEnd: number };
  const segments = listed(listPath);
  const context = `segments ${JSON.stringify(segments)}\nffmpeg stderr: ${stderr}`;

  // The recording went on while nobody read frames: a stalled ffmpeg closes at most one segment in 30 s.
  const closedWhileBlocked = b.listedAtEnd - b.listedAtStart;
  assert.ok(closedWhileBlocked >= BLOCK_MS / 1000 / SEGMENT_S - 2, `only ${closedWhileBlocked} segments closed during the block\n${context}`);
  // Contiguous: each segment starts where the one before ended.
  for (let i = 1; i < segments.length; i++) {
    const gap = (segments[i]?.start ?? 0) - (segments[i - 1]?.end ?? 0);
    assert.ok(Math.abs(gap) < 0.1, `gap of ${gap.toFixed(3)} s before ${segments[i]?.file}\n${context}`);
  }
  // Full: the stream copy got every frame although the decoder skipped all but key frames.
  for (const s of segments) {
    const expected = (s.end - s.start) * FPS;
    const got = videoPackets(join(outDir, s.file));
    assert.ok(Math.abs(got - expected) <= 1, `${s.file}: ${got} video frames for ${(s.end - s.start).toFixed(3)} s\n${context}`);
  }
  // Frames kept arriving and were dropped while the consumer was stuck, then delivery resumed.
  assert.ok(tap.dropped >= 5, `dropped ${tap.dropped}`);
  // Every frame read was delivered, dropped, or is the one waiting for the consumer.
  assert.ok([0, 1].includes(tap.received - tap.delivered - tap.dropped), `${tap.received} read, ${tap.delivered} delivered, ${tap.dropped} dropped`);
  assert.ok(frames.length >= 3);
  assert.deepEqual(errors, []);
  for (const f of frames) assert.equal(f.data.length, 320 * 180);
});

// A push camera's recorder with a real ffmpeg: pictures pushed one at a time become H.264 segments
// of the recorder's layout; a camera that stops pushing turns disconnected, then has its segment
// finished and handed on while it runs; a new picture size starts a new segment; a full queue and a
// stopped camera refuse pictures instead of holding the sender.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RecorderSettings } from '../../src/camera/recorder.ts';
import { startFromFileName } from '../../src/camera/segment-name.ts';
import { systemClock } from '../../src/clock.ts';
import type { FrameConsumer, TapFrame } from '../../src/frames/frame-tap.ts';
import { MAX_QUEUED } from '../../src/ingest/picture-queue.ts';
import { PushRecorder } from '../../src/ingest/push-recorder.ts';
import { PushRefused } from '../../src/ingest/push-refused.ts';
import { createMetrics } from '../../src/metrics.ts';
import type { FinishedSegment } from '../../src/segment.ts';
import { jpegPictures } from '../support/jpeg-pictures.ts';
import { lineLogger } from '../support/line-logger.ts';
import { recorderSettings } from '../support/recorder-settings.ts';
import { until } from '../support/until.ts';

/** A started recorder, stopped when the test ends whatever happens (stop() may be called twice). */
function startRecorder(
  t: TestContext,
  push: { idleDisconnectMs: number; idleFinalizeMs: number },
  frames?: FrameConsumer,
  settings: Partial<RecorderSettings> = {},
) {
  const { log, lines } = lineLogger();
  const segments: FinishedSegment[] = [];
  const metrics = createMetrics();
  const recorder = new PushRecorder({
    camera: { id: 'door' },
    settings: recorderSettings(mkdtempSync(join(tmpdir(), 'push-recorder-')), settings),
    push: { ...push, maxFrameBytes: 2 * 2 ** 20 },
    log,
    metrics,
    clock: systemClock,
    onSegment: (s) => segments.push(s),
    frames,
  });
  recorder.start();
  t.after(() => recorder.stop());
  return { recorder, segments, lines, metrics };
}

/** Codec, size and media duration of a segment file. */
function probe(path: string): { codec: string; width: number; height: number; durationSec: number } {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height:format=duration', '-of', 'json', path], { encoding: 'utf8' });
  const j = JSON.parse(out) as { streams: { codec_name: string; width: number; height: number }[]; format: { duration: string } };
  const s = j.streams[0]!;
  return { codec: s.codec_name, width: s.width, height: s.height, durationSec: Number(j.format.duration) };
}

/** Pushes the pictures `everyMs` apart; returns when the last was pushed. */
async function pushAll(recorder: PushRecorder, pictures: Buffer[], everyMs: number): Promise<void> {
  for (const jpeg of pictures) {
    await recorder.push({ jpeg, capturedAtMs: Date.now() });
    await sleep(everyMs);
  }
}

test('pictures pushed at 4 per second for 9 s become H.264 segments named like RTSP ones, as long as the pushing, an odd size cropped even', async (t) => {
  const { recorder, segments } = startRecorder(t, { idleDisconnectMs: 10_000, idleFinalizeMs: 60_000 });
  const pictures = jpegPictures(36, '321x181');
  const first = Date.now();
  await pushAll(recorder, pictures, 250);
  const spanSec = (Date.now() - first) / 1000 - 0.25;
  await recorder.stop();
  assert.ok(segments.length >= 2, `${segments.length} segments`); // 4 s segments over 9 s
  let total = 0;
  for (const s of segments) {
    assert.ok(startFromFileName(basename(s.path)) !== undefined, basename(s.path));
    const p = probe(s.path);
    assert.deepEqual([p.codec, p.width, p.height], ['h264', 320, 180]);
    total += p.durationSec;
  }
  assert.ok(Math.abs(total - spanSec) <= 1, `segments hold ${total} s of the ${spanSec} s pushed`);
});

test('a camera that stops pushing turns disconnected, then its segment is finished and handed on while it runs; the next picture starts recording again', async (t) => {
  const { recorder, segments, lines } = startRecorder(t, { idleDisconnectMs: 1000, idleFinalizeMs: 3000 });
  const pictures = jpegPictures(8, '320x180');
  try {
    await pushAll(recorder, pictures.slice(0, 4), 250);
    assert.equal(recorder.connected, true);
    assert.equal(recorder.state, 'recording');
    assert.equal(recorder.snapshot?.jpeg, pictures[3]);
    await until('disconnected', () => !recorder.connected, { timeoutMs: 5000 });
    assert.equal(recorder.notRecording?.reason, 'camera_unreachable');
    await until('ffmpeg finished for idleness', () => lines.some((l) => l.includes('"why":"idle"')), { timeoutMs: 20_000 });
    assert.equal(segments.length, 1);
    assert.ok(probe(segments[0]!.path).durationSec > 0.5);
    await pushAll(recorder, pictures.slice(4), 250);
    assert.equal(recorder.connected, true);
  } finally {
    await recorder.stop();
  }
  assert.equal(segments.length, 2);
  assert.equal(recorder.state, 'stopped');
});

test('a picture of another size finishes the segment and starts a new one at the new size', async (t) => {
  const { recorder, segments } = startRecorder(t, { idleDisconnectMs: 10_000, idleFinalizeMs: 60_000 });
  await pushAll(recorder, jpegPictures(4, '320x180'), 250);
  await pushAll(recorder, jpegPictures(4, '640x360'), 250);
  await recorder.stop();
  assert.deepEqual(
    segments.map((s) => probe(s.path).width),
    [320, 640],
  );
});

test('pictures beyond the queue are refused at once, and a stopped camera refuses every picture', async (t) => {
  const { recorder, metrics } = startRecorder(t, { idleDisconnectMs: 10_000, idleFinalizeMs: 60_000 });
  const pictures = jpegPictures(MAX_QUEUED + 1, '320x180');
  const results = await Promise.allSettled(pictures.map((jpeg) => recorder.push({ jpeg, capturedAtMs: Date.now() })));
  assert.deepEqual(
    results.map((r) => r.status),
    [...Array(MAX_QUEUED).fill('fulfilled'), 'rejected'],
  );
  const refused = (results.at(-1) as PromiseRejectedResult).reason;
  assert.ok(refused instanceof PushRefused && refused.kind === 'unavailable', String(refused));
  await recorder.stop();
  await assert.rejects(recorder.push({ jpeg: pictures[0]!, capturedAtMs: Date.now() }), (err) => err instanceof PushRefused && err.kind === 'unavailable');
  const text = await metrics.registry.metrics();
  assert.match(text, new RegExp(`camera_pushed_frames_total\\{camera_id="door",result="taken"\\} ${MAX_QUEUED}`));
  assert.match(text, /camera_pushed_frames_total\{camera_id="door",result="unavailable"\} 2/);
});

test('with a frame consumer, each pushed picture reaches it small and gray once the next one has come (ffmpeg holds one back), and the snapshot is the pushed JPEG itself', async (t) => {
  const frames: TapFrame[] = [];
  const { recorder } = startRecorder(t, { idleDisconnectMs: 10_000, idleFinalizeMs: 60_000 }, { width: 160, height: 90, onFrame: (f) => void frames.push(f) });
  const pictures = jpegPictures(5, '640x360');
  await pushAll(recorder, pictures, 250);
  await until('4 gray frames', () => frames.length >= 4, { timeoutMs: 20_000 });
  assert.deepEqual(
    frames.slice(0, 4).map((f) => [f.width, f.height, f.data.length]),
    Array(4).fill([160, 90, 160 * 90]),
  );
  assert.equal(recorder.snapshot?.jpeg, pictures[4]);
});

test('an ffmpeg that cannot start: the picture is refused with 503, the camera is in backoff and counted as not recorded, and pictures are refused until the retry', async (t) => {
  const { recorder, lines } = startRecorder(t, { idleDisconnectMs: 10_000, idleFinalizeMs: 60_000 }, undefined, {
    ffmpegPath: '/nonexistent/ffmpeg',
    restartInitialMs: 60_000,
    restartMaxMs: 60_000,
  });
  const [picture] = jpegPictures(1, '320x180') as [Buffer];
  const unavailable = (err: unknown): boolean => err instanceof PushRefused && err.kind === 'unavailable';
  await assert.rejects(recorder.push({ jpeg: picture, capturedAtMs: Date.now() }), unavailable);
  assert.equal(recorder.state, 'backoff');
  assert.equal(recorder.notRecording?.reason, 'restart');
  assert.ok(lines.some((l) => l.includes('ffmpeg for pushed pictures failed')));
  await assert.rejects(
    recorder.push({ jpeg: picture, capturedAtMs: Date.now() }),
    (err) => unavailable(err) && /restarted after a pause/.test((err as Error).message),
  );
});

// The test camera's pictures switch at run time (RtspServer.setPicture): one real ffmpeg client stays
// connected through every switch, sees each picture in its decoded frames, and records a stream whose
// timestamps run on without a jump or a reset, as a recorder would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Picture, startRtspServer } from '../support/rtsp-server.ts';
import { until } from '../support/until.ts';

const W = 320; // decoded frames are scaled to W x H gray: enough to tell the pictures apart
const H = 180;
const FPS = 15;

type Frame = Uint8Array;

function mean(f: Frame): number {
  let s = 0;
  for (const v of f) s += v;
  return s / f.length;
}
function stddev(f: Frame): number {
  const m = mean(f);
  let s = 0;
  for (const v of f) s += (v - m) ** 2;
  return Math.sqrt(s / f.length);
}
/** Mean absolute difference of two frames. */
function diff(a: Frame, b: Frame): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return s / a.length;
}
/** Share of pixels that changed by more than 40 between two frames. */
function changed(a: Frame, b: Frame): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs((a[i] ?? 0) - (b[i] ?? 0)) > 40) n++;
  return n / a.length;
}
/** The 99.5th percentile of the luma step between horizontal neighbours: sharp edges make it large. */
function sharpness(f: Frame): number {
  const histogram = new Array<number>(256).fill(0);
  for (let y = 0; y < H; y++)
    for (let x = 1; x < W; x++) {
      const step = Math.abs((f[y * W + x] ?? 0) - (f[y * W + x - 1] ?? 0));
      histogram[step] = (histogram[step] ?? 0) + 1;
    }
  let above = H * (W - 1) * 0.005;
  for (let step = 255; step > 0; step--) {
    above -= histogram[step] ?? 0;
    if (above < 0) return step;
  }
  return 0;
}
/** Mean absolute difference between the row at 10 % and the row at 90 % of the height. */
function topVsBottom(f: Frame): number {
  const a = f.subarray(Math.floor(H * 0.1) * W, Math.floor(H * 0.1) * W + W);
  const b = f.subarray(Math.floor(H * 0.9) * W, Math.floor(H * 0.9) * W + W);
  return diff(a, b);
}
/** Share of pixels that are near black or near white. */
function blackOrWhite(f: Frame): number {
  let n = 0;
  for (const v of f) if (v < 50 || v > 200) n++;
  return n / f.length;
}

/** What each picture looks like in the last second of frames (`last` is the newest, `sec` one second older). */
const LOOKS: Record<Picture, (last: Frame, prev: Frame, sec: Frame) => boolean> = {
  normal: (last, _p, sec) => stddev(last) > 30 && changed(last, sec) > 0.1 && blackOrWhite(last) < 0.6 && topVsBottom(last) > 20,
  black: (last) => mean(last) < 20 && stddev(last) < 5,
  solid: (last) => stddev(last) < 3 && mean(last) > 60 && mean(last) < 200,
  snow: (last, prev) => stddev(last) > 12 && stddev(last) < 50 && diff(last, prev) > 10,
  ball: (last, _p, sec) => stddev(last) > 30 && changed(last, sec) > 0.01 && changed(last, sec) < 0.15 && topVsBottom(last) > 20,
  static: (last, _p, sec) => stddev(last) > 30 && diff(last, sec) < 3 && changed(last, sec) < 0.003 && topVsBottom(last) > 20 && sharpness(last) > 40,
  smpte: (last, _p, sec) => stddev(last) > 30 && diff(last, sec) < 3 && topVsBottom(last) < 5,
  blur: (last, _p, sec) => stddev(last) > 30 && sharpness(last) < 30 && changed(last, sec) > 0.05,
  scene2: (last, _p, sec) => blackOrWhite(last) > 0.8 && stddev(last) > 60 && changed(last, sec) > 0.1,
};

function ffprobe(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ffprobe', ['-v', 'error', ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ffprobe ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

test('test camera: setPicture switches the picture for a connected client, the stream flows on', { timeout: 300_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'camera-pictures-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cam = await startRtspServer({ mounts: { '/cam': 'none' }, fps: FPS });
  t.after(() => cam.stop());
  const recording = join(dir, 'rec.mkv');
  // one client throughout: decoded gray frames on stdout, and the stream copied as a recorder does
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  const ffmpeg = spawn('ffmpeg', ['-nostdin', '-v', 'warning', '-rtsp_transport', 'tcp', '-i', cam.url('/cam'),
    '-map', '0:v', '-c', 'copy', '-f', 'matroska', recording,
    '-map', '0:v', '-vf', `scale=${W}:${H},format=gray`, '-f', 'rawvideo', 'pipe:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  ffmpeg.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => ffmpeg.once('exit', (code) => resolve(code)));
  t.after(() => ffmpeg.kill('SIGKILL'));
  const frames: Frame[] = [];
  let partial = Buffer.alloc(0);
  ffmpeg.stdout.on('data', (chunk: Buffer) => {
    partial = Buffer.concat([partial, chunk]);
    while (partial.length >= W * H) {
      frames.push(new Uint8Array(partial.subarray(0, W * H)));
      partial = partial.subarray(W * H);
      if (frames.length > 4 * FPS) frames.shift();
    }
  });
  /** Whether the newest frames look like `picture` (needs a second of frames). */
  const looks = (picture: Picture): boolean => {
    const last = frames.at(-1);
    const prev = frames.at(-2);
    const sec = frames.at(-1 - FPS);
    return last !== undefined && prev !== undefined && sec !== undefined && LOOKS[picture](last, prev, sec);
  };

  const stats = (): string => {
    const [last, prev, sec] = [frames.at(-1), frames.at(-2), frames.at(-1 - FPS)];
    if (last === undefined || prev === undefined || sec === undefined) return `${frames.length} frames`;
    const n = (x: number): string => x.toFixed(3);
    return `mean ${n(mean(last))} stddev ${n(stddev(last))} diff-prev ${n(diff(last, prev))} diff-1s ${n(diff(last, sec))} changed-1s ${n(changed(last, sec))} sharpness ${sharpness(last)} top-vs-bottom ${n(topVsBottom(last))} black-or-white ${n(blackOrWhite(last))}`;
  };
  await until('the first second of decoded frames of the normal picture', () => looks('normal'), { timeoutMs: 60_000, everyMs: 100 });
  t.diagnostic(`normal: ${stats()}`);
  const sequence: Picture[] = ['black', 'solid', 'snow', 'smpte', 'ball', 'static', 'blur', 'scene2', 'normal'];
  let before: Picture = 'normal';
  for (const picture of sequence) {
    assert.ok(!looks(picture), `${before} already looks like ${picture}: the check cannot tell them apart`);
    await cam.setPicture('/cam', picture);
    await until(`frames that look like ${picture} (after ${before}); now ${stats()}`, () => looks(picture), {
      timeoutMs: 30_000,
      everyMs: 100,
    }).catch((err: Error) => {
      throw new Error(`${err.message}; at the end ${stats()}`);
    });
    t.diagnostic(`${picture}: ${stats()}`);
    before = picture;
  }
  assert.equal(ffmpeg.exitCode, null, `ffmpeg stayed connected through every switch; its log:\n${stderr}`);

  ffmpeg.kill('SIGINT'); // ffmpeg finishes the recording
  await exited;
  const packets = (await ffprobe(['-select_streams', 'v', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', recording]))
    .split('\n')
    .filter(Boolean)
    .map(Number);
  assert.ok(packets.length > sequence.length * FPS, `${packets.length} packets recorded`);
  // from the second packet on: ffmpeg's RTSP client stamps its first two packets 0
  for (let i = 2; i < packets.length; i++) {
    const step = (packets[i] ?? 0) - (packets[i - 1] ?? 0);
    assert.ok(step > 0 && step < 0.5, `timestamps run on: packet ${i} at ${packets[i]} s follows ${packets[i - 1]} s`);
  }
  const sizes = new Set(
    (await ffprobe(['-select_streams', 'v', '-show_entries', 'frame=width,height', '-of', 'csv=p=0', recording]))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(',').slice(0, 2).join(',')),
  );
  assert.deepEqual([...sizes], ['640,360'], 'every decoded frame has the camera size');
  assert.doesNotMatch(stderr, /error|changed/i, 'ffmpeg noticed nothing but the picture');
});

/** One frame of `url`, decoded to W x H gray. */
function grabFrame(url: string): Promise<Frame> {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  const args = ['-nostdin', '-v', 'error', '-rtsp_transport', 'tcp', '-i', url, '-frames:v', '1',
    '-vf', `scale=${W}:${H},format=gray`, '-f', 'rawvideo', 'pipe:1'];
  return new Promise((resolve, reject) => {
    execFile('ffmpeg', args, { encoding: 'buffer', timeout: 30_000, maxBuffer: W * H * 2 }, (err, stdout, stderr) => {
      if (err || stdout.length !== W * H) reject(new Error(`ffmpeg ${url}: ${stderr.toString() || err?.message}`));
      else resolve(new Uint8Array(stdout));
    });
  });
}

test('test camera: a picture set with no client connected is what the next client sees; wrong requests are refused', { timeout: 120_000 }, async (t) => {
  const cam = await startRtspServer({ mounts: { '/a': 'none', '/b': 'aac' } });
  t.after(() => cam.stop());
  await cam.setPicture('/a', 'black');
  await cam.setPicture('b', 'solid');
  const [a, b] = [await grabFrame(cam.url('/a')), await grabFrame(cam.url('/b'))];
  assert.ok(mean(a) < 20 && stddev(a) < 5, `/a shows black: mean ${mean(a)}, stddev ${stddev(a)}`);
  assert.ok(stddev(b) < 3 && mean(b) > 60 && mean(b) < 200, `/b shows one grey: mean ${mean(b)}, stddev ${stddev(b)}`);
  await assert.rejects(cam.setPicture('/c', 'black'), /no mount '\/c' \(mounts: \/a, \/b\)/);
  await assert.rejects(cam.setPicture('/a', 'purple' as Picture), /unknown picture \(one of normal black/);

  const shared = await startRtspServer({ mounts: { '/s': 'none' }, sharedSource: true });
  t.after(() => shared.stop());
  await assert.rejects(shared.setPicture('/s', 'black'), /not with sharedSource/);
});

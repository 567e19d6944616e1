// The recorder looks at its video, end to end: the real CLI records a GStreamer camera whose picture
// is switched at run time (black, a grey card, a blurred lens, a still picture, another scene). Its
// everyday view is a fixed camera's: a still background with a ball moving over it. Each picture
// problem turns on and off again through the API, /metrics and the log; motion follows the ball; the
// snapshot endpoint serves the camera's current picture; and no problem is ever raised while the
// camera shows its everyday view. The time from each switch to the state change is reported (the
// detection latency, see BENCHMARKS.md).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { ApiClient } from '../support/api-client.ts';
import { freePort } from '../support/ports.ts';
import { RecorderProcess } from '../support/recorder-process.ts';
import { type Picture, type RtspServer, startRtspServer } from '../support/rtsp-server.ts';
import { until } from '../support/until.ts';

const TOKEN = 'video-health-token-51c2';
/** Key frames come every 2 s: a problem needs 3-5 of them, and a loaded machine may lag a few seconds. */
const STATE_TIMEOUT_MS = 60_000;
/** After a switch, frames of the previous picture may still be in flight for about one GOP. */
const TAIL_MS = 5000;

let camera: RtspServer;
let recorder: RecorderProcess;
let api: ApiClient;
/** Which picture was on screen from when, for judging every problem the recorder raised. */
const shown: { picture: Picture; atMs: number }[] = [];

interface Video {
  problems: Record<string, { status: string; since: string | null }>;
  motion: { active: boolean };
  frame: { analysed: number };
}

/** The everyday view: a still background and something moving (the test camera's `normal` pans, which a fixed camera never does). */
const EVERYDAY: Picture = 'ball';

before(async () => {
  camera = await startRtspServer({ mounts: { '/cam': 'none' } });
  await camera.setPicture('/cam', EVERYDAY);
  const root = mkdtempSync(join(tmpdir(), 'video-health-'));
  recorder = new RecorderProcess(
    {
      STORAGE: 'filesystem',
      FILESYSTEM_ROOT: join(root, 'store'),
      TEMP_DIR: join(root, 'tmp'),
      API_TOKEN: TOKEN,
      CAMERA1_RTSP_URL: camera.url('/cam'),
      SEGMENT_DURATION: '30s',
      LOG_LEVEL: 'debug',
      ANALYSIS_ENABLED: 'true',
    },
    await freePort(),
  );
  api = new ApiClient(recorder.port, TOKEN);
  shown.push({ picture: EVERYDAY, atMs: Date.now() });
});
after(async () => {
  await recorder?.stop();
  await camera?.stop();
});

async function video(): Promise<Video> {
  const { status, body } = await api.call('GET', '/api/cameras/camera-1');
  assert.equal(status, 200);
  return body.video as Video;
}

async function show(picture: Picture): Promise<number> {
  await camera.setPicture('/cam', picture);
  const at = Date.now();
  shown.push({ picture, atMs: at });
  return at;
}

/** Waits until `check` holds for the camera's video state; returns the seconds since `fromMs`. */
async function becomes(what: string, fromMs: number, check: (v: Video) => boolean): Promise<number> {
  await until(what, async () => check(await video()), { timeoutMs: STATE_TIMEOUT_MS, everyMs: 200 });
  return (Date.now() - fromMs) / 1000;
}

async function snapshotLuma(query = ''): Promise<{ mean: number; width: number; height: number; age: number; lastModified: string }> {
  const res = await fetch(`http://127.0.0.1:${recorder.port}/api/cameras/camera-1/snapshot.jpg${query}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get('content-type'), 'image/jpeg');
  const jpeg = Buffer.from(await res.arrayBuffer());
  const { width, height } = await sharp(jpeg).metadata();
  const stats = await sharp(jpeg).greyscale().stats();
  return {
    mean: stats.channels[0]!.mean,
    width: width ?? 0,
    height: height ?? 0,
    age: Number(res.headers.get('x-frame-age')),
    lastModified: res.headers.get('last-modified') ?? '',
  };
}

/** One picture problem: on after switching to `picture`, off after switching back; returns both latencies. */
async function episode(picture: Picture, problem: string): Promise<{ on: number; off: number }> {
  const on = await becomes(`${problem} on for ${picture}`, await show(picture), (v) => v.problems[problem]?.status === 'problem');
  assert.equal(await recorder.metric('camera_video_problem', { camera_id: 'camera-1', problem }), 1);
  const off = await becomes(`${problem} off again`, await show(EVERYDAY), (v) => v.problems[problem]?.status === 'ok');
  assert.equal(await recorder.metric('camera_video_problem', { camera_id: 'camera-1', problem }), 0);
  return { on, off };
}

test('each picture problem and motion turn on and off with the picture, and the everyday view raises nothing', async (t) => {
  await recorder.until(async () => (await recorder.get('/ready')).status === 200, 60_000, 'ready');
  // the camera's normal detail is learned from its first 15 clear key frames
  await until('16 key frames analysed', async () => (await video()).frame.analysed >= 16, { timeoutMs: 120_000, everyMs: 500 });
  const v0 = await video();
  assert.deepEqual(
    Object.values(v0.problems).map((p) => p.status),
    ['ok', 'ok', 'ok', 'ok', 'ok'],
  );
  const normal = await snapshotLuma();
  assert.deepEqual([normal.width, normal.height], [640, 360], 'the camera’s own size');
  assert.ok(normal.mean > 60, `the everyday view is bright bars (mean luma ${normal.mean})`);
  assert.ok(normal.age >= 0 && normal.age < 10, `X-Frame-Age ${normal.age}`);
  assert.ok(Math.abs(Date.parse(normal.lastModified) - Date.now()) < 15_000, `Last-Modified ${normal.lastModified}`);
  const small = await snapshotLuma('?width=320');
  assert.deepEqual([small.width, small.height], [320, 180]);

  const latency: Record<string, { on: number; off: number }> = {};
  const black = await becomes('black on', await show('black'), (v) => v.problems.black?.status === 'problem');
  const dark = await snapshotLuma();
  assert.ok(dark.mean < 20, `the snapshot follows the picture: mean luma of black ${dark.mean}`);
  latency.black = { on: black, off: await becomes('black off', await show(EVERYDAY), (v) => v.problems.black?.status === 'ok') };
  latency.covered = await episode('solid', 'covered');
  latency.blurred = await episode('blur', 'blurred');
  // a picture in which not one pixel moves: frozen, and no motion
  latency.frozen = await episode('static', 'frozen');

  const still = await show('static');
  await becomes('no motion on a still picture', still, (v) => !v.motion.active);
  const events = await recorder.metric('camera_motion_events_total', { camera_id: 'camera-1' });
  const ball = await becomes('motion with the ball', await show('ball'), (v) => v.motion.active);
  assert.equal(await recorder.metric('camera_motion_active', { camera_id: 'camera-1' }), 1);
  assert.ok((await recorder.metric('camera_motion_events_total', { camera_id: 'camera-1' })) > events);
  latency.motion = { on: ball, off: await becomes('motion ends on the still picture', await show('static'), (v) => !v.motion.active) };
  await becomes('frozen clears', await show(EVERYDAY), (v) => v.problems.frozen?.status === 'ok');

  // the view is learned from the first 30 clear key frames: turn the camera only after that
  await until('45 key frames analysed', async () => (await video()).frame.analysed >= 45, { timeoutMs: 120_000, everyMs: 500 });
  latency.moved = await episode('scene2', 'moved');
  t.diagnostic(`detection latency (s): ${JSON.stringify(latency)}`);

  // every problem the recorder raised came while a picture that shows it was on screen (or one GOP after)
  const raised = recorder.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('video problem: '));
  const allowed: Record<string, Picture[]> = {
    black: ['black'],
    covered: ['solid'],
    blurred: ['blur'],
    frozen: ['static'],
    moved: ['scene2'],
  };
  for (const line of raised) {
    const problem = String(line.problem);
    const at = Date.parse(String(line.time));
    const on = shown.filter((s, i) => s.atMs <= at && at <= (shown[i + 1]?.atMs ?? Number.POSITIVE_INFINITY) + TAIL_MS).map((s) => s.picture);
    assert.ok(
      on.some((p) => allowed[problem]?.includes(p)),
      `${problem} was raised at ${String(line.time)} while the camera showed ${on.join(' then ')}`,
    );
  }
  assert.ok(raised.length >= 5, `every problem was raised: ${raised.map((l) => l.problem).join(', ')}`);
});

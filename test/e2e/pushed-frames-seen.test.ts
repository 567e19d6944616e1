// Cameras that send pictures instead of a stream get the same eyes as RTSP ones, end to end: the
// real CLI with a redis_stream camera (a real redis-server) and an http_push camera. Every picture
// is recorded into H.264 segments in the store and analysed: the snapshot is the picture sent, a
// black picture raises `black` and the scene back clears it, and the Redis entries are acknowledged.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createClient } from 'redis';
import { ApiClient } from '../support/api-client.ts';
import { jpegPictures } from '../support/jpeg-pictures.ts';
import { freePort } from '../support/ports.ts';
import { RecorderProcess } from '../support/recorder-process.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { until } from '../support/until.ts';

const TOKEN = 'pushed-frames-api-token-7e1d';
const PUSH_TOKEN = 'door-7-own-token-0b5c9e2a';
const STREAM = 'frames:till-3';
const FPS = 2;

let redis: RedisServer;
let recorder: RecorderProcess;
let api: ApiClient;
let root: string;
const scene = jpegPictures(40, '640x360');
const black = execFileSync('ffmpeg', [
  ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=black:size=640x360', '-frames:v', '1'],
  ...['-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-f', 'image2pipe', 'pipe:1'],
]);

before(async () => {
  redis = await startRedisServer();
  root = mkdtempSync(join(tmpdir(), 'pushed-seen-'));
  const config = join(root, 'config.toml');
  writeFileSync(
    config,
    [
      '[[cameras]]',
      'id = "till-3"',
      'source_type = "redis_stream"',
      `url = "${redis.url}"`,
      `stream = "${STREAM}"`,
      '',
      '[[cameras]]',
      'id = "door-7"',
      'source_type = "http_push"',
      `push_token = "${PUSH_TOKEN}"`,
      '',
    ].join('\n'),
  );
  recorder = new RecorderProcess(
    {
      STORAGE: 'filesystem',
      FILESYSTEM_ROOT: join(root, 'store'),
      TEMP_DIR: join(root, 'tmp'),
      API_TOKEN: TOKEN,
      SEGMENT_DURATION: '60s',
      ANALYSIS_ENABLED: 'true',
    },
    await freePort(),
    ['--config', config],
  );
  api = new ApiClient(recorder.port, TOKEN);
  await recorder.until(async () => (await recorder.get('/ready')).status === 200, 60_000, 'ready');
});
after(async () => {
  await recorder?.stop();
  await redis?.close();
});

interface Video {
  problems: Record<string, { status: string }>;
  frame: { analysed: number };
}
const video = async (id: string): Promise<Video> => (await api.call('GET', `/api/cameras/${id}`)).body.video as Video;
const snapshot = async (id: string): Promise<Buffer> => {
  const res = await fetch(`http://127.0.0.1:${recorder.port}/api/cameras/${id}/snapshot.jpg`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200, await res.clone().text());
  return Buffer.from(await res.arrayBuffer());
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function push(jpeg: Buffer): Promise<void> {
  const form = new FormData();
  form.append('frame_file', new Blob([jpeg], { type: 'image/jpeg' }), 'frame.jpg');
  const res = await fetch(`http://127.0.0.1:${recorder.port}/api/ingest/push/door-7`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${PUSH_TOKEN}` },
    body: form,
  });
  assert.ok(res.status === 204 || res.status === 202, `push answered ${res.status}: ${await res.text()}`);
}

test('pictures from a Redis stream and pushed ones are recorded, analysed and served as the snapshot', async () => {
  const producer = createClient({ url: redis.url });
  await producer.connect();
  try {
    const add = (jpeg: Buffer) => producer.xAdd(STREAM, '*', { meta: JSON.stringify({ ts: Date.now() / 1000 }), jpeg });
    // a normal scene, then black, then the scene again: from both cameras, 2 pictures a second
    const sequence = [...scene.slice(0, 16), ...Array.from({ length: 8 }, () => black), ...scene.slice(16, 28)];
    let blackOn = { till: false, door: false };
    for (const [i, jpeg] of sequence.entries()) {
      await Promise.all([add(jpeg), push(jpeg)]);
      await sleep(1000 / FPS);
      if (i === 16 + 7) {
        const [till, door] = await Promise.all([video('till-3'), video('door-7')]);
        blackOn = { till: till.problems.black?.status === 'problem', door: door.problems.black?.status === 'problem' };
        // the snapshot is the picture as it was sent, with no re-encoding
        assert.deepEqual(await snapshot('till-3'), black);
        assert.deepEqual(await snapshot('door-7'), black);
      }
    }
    assert.deepEqual(blackOn, { till: true, door: true }, 'black raised on both cameras while they sent black');
    await until(
      'black cleared on both',
      async () => (await video('till-3')).problems.black?.status === 'ok' && (await video('door-7')).problems.black?.status === 'ok',
      {
        timeoutMs: 20_000,
        everyMs: 200,
      },
    );
    assert.deepEqual(await snapshot('door-7'), scene[27]);
    for (const id of ['till-3', 'door-7']) assert.ok((await video(id)).frame.analysed >= sequence.length - 4, id);
    assert.equal(await recorder.metric('camera_video_problem', { camera_id: 'till-3', problem: 'black' }), 0);
    // every entry was taken and acknowledged
    await until('no entry pending', async () => (await producer.xPending(STREAM, 'camera-recorder')).pending === 0, { timeoutMs: 20_000 });
  } finally {
    await producer.quit();
  }

  // SIGTERM finishes both cameras' segments: H.264 of about the time the pictures were sent
  assert.equal((await recorder.stop()).code, 0);
  for (const id of ['till-3', 'door-7']) {
    const days = readdirSync(join(root, 'store', id));
    const files = days.flatMap((d) =>
      readdirSync(join(root, 'store', id, d))
        .filter((f) => f.endsWith('.mp4'))
        .map((f) => join(root, 'store', id, d, f)),
    );
    assert.ok(files.length >= 1, `${id}: a segment in the store`);
    let seconds = 0;
    for (const f of files) {
      const [codec, duration] = execFileSync(
        'ffprobe',
        ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name:format=duration', '-of', 'csv=p=0', f],
        {
          encoding: 'utf8',
        },
      )
        .trim()
        .split('\n');
      assert.equal(codec, 'h264', f);
      seconds += Number(duration);
    }
    assert.ok(seconds > 14 && seconds < 22, `${id}: ${seconds} s of video for 18 s of pictures`);
  }
});

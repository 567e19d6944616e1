// Evidence frames and idempotent events, end to end: the real recorder (the CLI) records a real
// RTSP camera into the filesystem store; events come in over HTTP as a till would send them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../support/ports.ts';
import { RecorderProcess } from '../support/recorder-process.ts';
import { type RtspServer, startRtspServer } from '../support/rtsp-server.ts';

const TOKEN = 'api-token-Frames-7e2a';
const SIZE = [480, 270];

let camera: RtspServer;
let recorder: RecorderProcess;
let root: string;
let tempDir: string;

// biome-ignore lint/suspicious/noExplicitAny: an event's JSON as the API and the store hold it, read field by field in assertions
type Json = Record<string, any>;

const postEvent = async (body: unknown): Promise<{ status: number; json: Json }> => {
  const res = await fetch(`http://127.0.0.1:${recorder.port}/api/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Json };
};
const getEvent = async (id: string): Promise<Json> =>
  (await (await fetch(`http://127.0.0.1:${recorder.port}/api/events/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as Json;

async function waitDone(id: string): Promise<Json> {
  let last: Json = {};
  await recorder.until(
    async () => {
      last = await getEvent(id);
      return last.status !== 'pending';
    },
    60_000,
    `event ${id} to finish`,
  );
  assert.equal(last.status, 'done', JSON.stringify(last));
  return last;
}

/** `events/camera-1/{YYYYMMDD}/{HHMMSS}_{id}`, as README says, from the event's time. */
const keyBase = (at: string, id: string): string => `events/camera-1/${at.slice(0, 10).replaceAll('-', '')}/${at.slice(11, 19).replaceAll(':', '')}_${id}`;

/** Every stored object of an event (not the store's .meta.json files), relative to the store root. */
function storedOf(id: string): string[] {
  return (readdirSync(join(root, 'events'), { recursive: true }) as string[])
    .map((p) => `events/${p}`)
    .filter((p) => p.includes(id) && !p.endsWith('.meta.json') && /\.(mp4|json|png)$/.test(p))
    .sort();
}

before(async () => {
  camera = await startRtspServer({ mounts: { '/cam': 'none' }, size: SIZE.join('x') });
  root = mkdtempSync(join(tmpdir(), 'frames-store-'));
  tempDir = mkdtempSync(join(tmpdir(), 'frames-'));
  recorder = new RecorderProcess(
    {
      STORAGE: 'filesystem',
      FILESYSTEM_ROOT: root,
      TEMP_DIR: tempDir,
      SEGMENT_DURATION: '4s',
      CAMERA1_RTSP_URL: camera.url('/cam'),
      RTSP_TIMEOUT: '3s',
      API_TOKEN: TOKEN,
      EVENT_POLL_INTERVAL: '500ms',
      EVENT_FRAMES_MAX: '4',
    },
    await freePort(),
  );
  await recorder.until(async () => (await recorder.get('/ready')).status === 200, 60_000, 'ready');
  await recorder.waitForCount((l) => l.msg === 'segment uploaded', 2, 60_000, 'uploads'); // footage before the events' at
});
after(async () => {
  await recorder?.stop('SIGKILL');
  await camera?.stop();
});

describe('event frames', () => {
  test('frames: 3 stores the clip, 3 PNGs of the camera at the listed keys, and the JSON listing them with the metadata', async () => {
    const metadata = { transaction: 'T-2001', lane: 2, items: [{ sku: 'B7', qty: 1 }] };
    const { status, json: accepted } = await postEvent({ camera: 'camera-1', pre_seconds: 3, post_seconds: 3, frames: 3, metadata });
    assert.equal(status, 202);
    assert.equal(accepted.frames_requested, 3);
    assert.equal(accepted.frames_mode, 'spread');
    const done = await waitDone(accepted.id);
    const base = keyBase(accepted.at, accepted.id);
    const frameKeys = ['01', '02', '03'].map((n) => `${base}/frame-${n}.png`);
    assert.deepEqual(storedOf(accepted.id), [`${base}.json`, `${base}.mp4`, ...frameKeys].sort());
    assert.deepEqual(
      done.frames.map((f: Json) => f.key),
      frameKeys,
    );
    for (const key of frameKeys) {
      const probed = JSON.parse(
        execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', join(root, key)], { encoding: 'utf8' }),
      ) as Json;
      assert.deepEqual(probed.streams, [{ codec_name: 'png', width: SIZE[0], height: SIZE[1] }], key);
      // the frame decodes whole: ffmpeg reads every pixel and reports no error
      execFileSync('ffmpeg', ['-v', 'error', '-xerror', '-i', join(root, key), '-f', 'null', '-'], { encoding: 'utf8' });
      assert.equal((JSON.parse(readFileSync(join(root, `${key}.meta.json`), 'utf8')) as Json).contentType, 'image/png');
    }
    const json = JSON.parse(readFileSync(join(root, `${base}.json`), 'utf8')) as Json;
    assert.deepEqual(json.metadata, metadata);
    assert.equal(json.event_id, accepted.id);
    assert.deepEqual(json.frames, done.frames);
    assert.deepEqual(json.clip, done.clip);
    const at = Date.parse(accepted.at);
    const frameAts = json.frames.map((f: Json) => Date.parse(f.at));
    assert.deepEqual(
      frameAts,
      [...frameAts].sort((a, b) => a - b),
      'in time order',
    );
    // spread: the middles of three 2 s slices of [at − 3 s, at + 3 s], each the frame on screen then
    for (const [i, t] of frameAts.entries()) {
      const middle = at - 3000 + (2 * i + 1) * 1000;
      assert.ok(t <= middle + 1 && t > middle - 1000, `frame ${i + 1} at ${t - at} ms from at, asked ${middle - at}`);
    }
  });

  test('the same event_id posted twice at once and again later makes one clip; the repeats are answered 200, duplicate', async () => {
    const event = { camera: 'camera-1', pre_seconds: 2, post_seconds: 2, frames: 1, event_id: `till-3-R${Date.now()}`, metadata: { receipt: 'R-77' } };
    const answers = await Promise.all([postEvent(event), postEvent(event)]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 202]);
    const first = answers.find((a) => a.status === 202)!.json;
    const repeat = answers.find((a) => a.status === 200)!.json;
    assert.equal(first.id, event.event_id);
    assert.equal(first.duplicate, false);
    assert.deepEqual(repeat, { ...first, duplicate: true });
    await waitDone(event.event_id);
    const later = await postEvent({ ...event, metadata: { receipt: 'changed' } });
    assert.equal(later.status, 200);
    assert.equal(later.json.duplicate, true);
    assert.equal(later.json.status, 'done', 'the stored event, as it is now');
    const base = keyBase(first.at, first.id);
    assert.deepEqual(storedOf(event.event_id), [`${base}.json`, `${base}.mp4`, `${base}/frame-01.png`]);
    assert.deepEqual((JSON.parse(readFileSync(join(root, `${base}.json`), 'utf8')) as Json).metadata, { receipt: 'R-77' });
    assert.equal(readdirSync(join(tempDir, '.events')).filter((f) => f.startsWith(event.event_id)).length, 1);
    assert.equal(recorder.logs.filter((l) => l.msg === 'event accepted' && l.event === event.event_id).length, 1);
  });

  test('a bad event_id, frames over events.frames_max and an unknown frames_mode get a 400 naming the field', async () => {
    const cases: [Json, string, RegExp][] = [
      [{ event_id: 'a/b' }, 'event_id', /letters, digits, _ or -/],
      [{ frames: 5 }, 'frames', /the cap is 4 \(events.frames_max\)/],
      [{ frames_mode: 'after' }, 'frames_mode', /spread.*before/],
    ];
    for (const [extra, field, message] of cases) {
      const { status, json } = await postEvent({ camera: 'camera-1', ...extra });
      assert.equal(status, 400, JSON.stringify(extra));
      assert.equal(json.field, field);
      assert.match(json.error, message);
    }
  });
});

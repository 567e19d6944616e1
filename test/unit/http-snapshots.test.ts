// The snapshot routes through the real Fastify server: the newest JPEG from memory with its capture
// time and age, scaled on request, a 503 that says why there is no picture and how old the last one
// is, and the scene relearned over the API.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { systemClock } from '../../src/clock.ts';
import { CameraVision } from '../../src/frames/camera-vision.ts';
import type { CameraFrames, FrameService } from '../../src/frames/frame-service.ts';
import { DEFAULT_VISION } from '../../src/frames/vision-settings.ts';
import { createMetrics } from '../../src/metrics.ts';
import { startHttp, type TestServer } from '../support/http-server.ts';
import { lineLogger } from '../support/line-logger.ts';

let http: TestServer;
let jpeg: Buffer;
const cameras = new Map<string, CameraFrames>();
const frames: FrameService = { framesOf: (id) => cameras.get(id) };
const vision = new CameraVision({ cameraId: 'cam-1', settings: DEFAULT_VISION, metrics: createMetrics().vision, log: lineLogger().log, clock: systemClock });

before(async () => {
  jpeg = await sharp({ create: { width: 640, height: 360, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .jpeg()
    .toBuffer();
  http = await startHttp(undefined, { frames });
});
after(async () => {
  await http?.stop();
});

const get = (path: string, token?: string) => http.call(path, token === undefined ? {} : { token });
async function noFrame(res: Response): Promise<{ error: string; reason: string; frame_age_seconds: number | null; last_frame: string | null }> {
  assert.equal(res.status, 503);
  assert.equal(res.headers.get('retry-after'), '2');
  return (await res.json()) as { error: string; reason: string; frame_age_seconds: number | null; last_frame: string | null };
}

describe('snapshot routes', () => {
  test('the newest JPEG as it is, with its capture time in Last-Modified and its age in X-Frame-Age, at both paths', async () => {
    const atMs = Date.now() - 1500;
    cameras.set('cam-1', { enabled: true, snapshot: { jpeg, atMs }, vision });
    for (const path of ['/api/cameras/cam-1/snapshot.jpg', '/api/cameras/cam-1/frame/latest']) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'image/jpeg');
      assert.equal(res.headers.get('last-modified'), new Date(atMs).toUTCString());
      assert.equal(res.headers.get('x-frame-time'), new Date(atMs).toISOString());
      const age = Number(res.headers.get('x-frame-age'));
      assert.ok(age >= 1.5 && age < 5, `X-Frame-Age ${age}`);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), jpeg);
    }
  });

  test('?width= scales in memory (the aspect kept); a width above the picture returns it unscaled; a bad width is a 400', async () => {
    cameras.set('cam-1', { enabled: true, snapshot: { jpeg, atMs: Date.now() }, vision });
    const small = await get('/api/cameras/cam-1/snapshot.jpg?width=320');
    assert.equal(small.status, 200);
    const meta = await sharp(Buffer.from(await small.arrayBuffer())).metadata();
    assert.deepEqual([meta.width, meta.height, meta.format], [320, 180, 'jpeg']);
    const big = await get('/api/cameras/cam-1/snapshot.jpg?width=1920');
    assert.equal((await sharp(Buffer.from(await big.arrayBuffer())).metadata()).width, 640);
    for (const bad of ['8', '9000', 'wide', '-1']) {
      const res = await get(`/api/cameras/cam-1/snapshot.jpg?width=${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal(((await res.json()) as { field?: string }).field, 'width', bad);
    }
  });

  test('a snapshot older than snapshot_max_age is a 503 saying how old it is', async () => {
    const atMs = Date.now() - 42_000;
    cameras.set('cam-1', { enabled: true, snapshot: { jpeg, atMs }, vision });
    const body = await noFrame(await get('/api/cameras/cam-1/snapshot.jpg'));
    assert.equal(body.reason, 'stale');
    assert.ok(body.frame_age_seconds !== null && body.frame_age_seconds >= 42, String(body.frame_age_seconds));
    assert.equal(body.last_frame, new Date(atMs).toISOString());
    assert.match(body.error, /no frame for 4\d\.\d s/);
  });

  test('no frame yet, analysis off, switched off: a 503 with the reason; an unknown camera 404; no token 401', async () => {
    cameras.set('cam-1', { enabled: true, snapshot: undefined, vision });
    const none = await noFrame(await get('/api/cameras/cam-1/snapshot.jpg'));
    assert.deepEqual([none.reason, none.frame_age_seconds, none.last_frame], ['no_frame_yet', null, null]);
    cameras.set('cam-1', { enabled: true, snapshot: undefined, vision: undefined });
    assert.equal((await noFrame(await get('/api/cameras/cam-1/frame/latest'))).reason, 'analysis_off');
    cameras.set('cam-1', { enabled: false, snapshot: { jpeg, atMs: Date.now() }, vision: undefined });
    const off = await noFrame(await get('/api/cameras/cam-1/snapshot.jpg'));
    assert.equal(off.reason, 'disabled');
    assert.match(off.error, /"enabled": true/);
    assert.equal((await get('/api/cameras/cam-9/snapshot.jpg')).status, 404);
    assert.equal((await get('/api/cameras/cam-1/snapshot.jpg', 'wrong-token')).status, 401);
  });

  test('POST …/scene/relearn answers the video view with moved ok; 409 when the camera has no analysis', async () => {
    cameras.set('cam-1', { enabled: true, snapshot: undefined, vision });
    const res = await http.call('/api/cameras/cam-1/scene/relearn', { method: 'POST' });
    assert.equal(res.status, 200);
    const view = (await res.json()) as { problems: { moved: { status: string } } };
    assert.equal(view.problems.moved.status, 'ok');
    cameras.set('cam-1', { enabled: true, snapshot: undefined, vision: undefined });
    assert.equal((await http.call('/api/cameras/cam-1/scene/relearn', { method: 'POST' })).status, 409);
  });
});

// The push route through the real Fastify server on a loopback port, against hand-written cameras
// whose sink keeps what it is given: the camera's own token and the API token are taken, anything
// else is a 401 (also for an unknown camera); 404, 409 for a camera that takes no pictures; a body
// that is not the form is a 415, a picture over the limit a 413, a sink's refusal its status.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemClock } from '../../src/clock.ts';
import type { FrameSink, PushedFrame } from '../../src/ingest/frame-sink.ts';
import type { PushTarget } from '../../src/ingest/push-cameras.ts';
import { PushRefused } from '../../src/ingest/push-refused.ts';
import { startHttp, TOKEN, type TestServer } from '../support/http-server.ts';
import { jpegPictures } from '../support/jpeg-pictures.ts';

const DOOR_TOKEN = 'door-push-token-7f3a9c';
const MAX = 64 * 1024;

/** A sink that keeps every frame, or refuses the next one when told to. */
class KeepingSink implements FrameSink {
  readonly frames: PushedFrame[] = [];
  refuseNext: PushRefused | undefined;
  async push(frame: PushedFrame): Promise<void> {
    const refusal = this.refuseNext;
    this.refuseNext = undefined;
    if (refusal) throw refusal;
    this.frames.push(frame);
  }
}

const sink = new KeepingSink();
const targets = new Map<string, PushTarget>([
  ['door', { sourceType: 'http_push', pushToken: DOOR_TOKEN, sink }],
  ['lobby', { sourceType: 'http_push', pushToken: undefined, sink: new KeepingSink() }],
  ['camera-1', { sourceType: 'rtsp', pushToken: undefined, sink: undefined }],
  ['off', { sourceType: 'http_push', pushToken: undefined, sink: undefined }],
]);
const [picture] = jpegPictures(1, '320x180') as [Buffer];
let http: TestServer;

before(async () => {
  http = await startHttp(undefined, { ingest: { cameras: { pushTarget: (id) => targets.get(id) }, apiToken: TOKEN, maxFrameBytes: MAX, clock: systemClock } });
});
after(async () => {
  await http?.stop();
});

function form(fields: Record<string, string | Buffer>): FormData {
  const f = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') f.append(name, value);
    else f.append(name, new Blob([value], { type: 'image/jpeg' }), 'picture.jpg');
  }
  return f;
}

async function pushTo(camera: string, body: FormData | string, opts: { token?: string | undefined; type?: string } = {}) {
  const token = 'token' in opts ? opts.token : DOOR_TOKEN;
  const res = await fetch(`${http.url}/api/ingest/push/${camera}`, {
    method: 'POST',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(opts.type ? { 'content-type': opts.type } : {}) },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, body: text === '' ? {} : (JSON.parse(text) as { error?: string; field?: string }), headers: res.headers };
}

describe('push route', () => {
  test("a picture with the camera's own token is taken: 204, handed to the sink with the sender's timestamp", async () => {
    const before = sink.frames.length;
    const res = await pushTo('door', form({ frame_file: picture, timestamp: '1764581234.25' }));
    assert.equal(res.status, 204, res.text);
    assert.equal(sink.frames.length, before + 1);
    assert.deepEqual(sink.frames.at(-1), { jpeg: picture, capturedAtMs: 1764581234250 });
  });

  test('without a timestamp the picture is stamped with its arrival', async () => {
    const start = Date.now();
    assert.equal((await pushTo('door', form({ frame_file: picture }))).status, 204);
    const at = sink.frames.at(-1)!.capturedAtMs;
    assert.ok(at >= start && at <= Date.now(), `${at}`);
  });

  test('the API token is taken for any push camera, also one without a token of its own', async () => {
    assert.equal((await pushTo('door', form({ frame_file: picture }), { token: TOKEN })).status, 204);
    assert.equal((await pushTo('lobby', form({ frame_file: picture }), { token: TOKEN })).status, 204);
  });

  test("a wrong or missing token is a 401, also for an unknown camera (its existence is not told) and with another camera's token", async () => {
    for (const [camera, token] of [
      ['door', 'wrong-token-wrong-token'],
      ['door', undefined],
      ['nope', DOOR_TOKEN],
      ['lobby', DOOR_TOKEN],
    ] as const) {
      const res = await pushTo(camera, form({ frame_file: picture }), { token });
      assert.equal(res.status, 401, `${camera} ${token}: ${res.text}`);
      assert.match(String(res.body.error), /push_token, or API_TOKEN/);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="camera-recorder"');
    }
  });

  test('an unknown camera is a 404 with the API token; an RTSP camera or a disabled one a 409', async () => {
    assert.equal((await pushTo('nope', form({ frame_file: picture }), { token: TOKEN })).status, 404);
    const rtsp = await pushTo('camera-1', form({ frame_file: picture }), { token: TOKEN });
    assert.equal(rtsp.status, 409);
    assert.match(String(rtsp.body.error), /rtsp camera.*http_push/);
    const off = await pushTo('off', form({ frame_file: picture }), { token: TOKEN });
    assert.equal(off.status, 409);
    assert.match(String(off.body.error), /disabled/);
  });

  test('a body that is not a multipart form is a 415 saying how to send the picture', async () => {
    for (const [body, type] of [
      [picture.toString('latin1'), 'image/jpeg'],
      ['{"frame_file":"x"}', 'application/json'],
    ] as const) {
      const res = await pushTo('door', body, { type });
      assert.equal(res.status, 415, `${type}: ${res.text}`);
      assert.match(String(res.body.error), /multipart\/form-data.*frame_file/);
    }
  });

  test('a form without frame_file, with an unknown field, or with a timestamp in milliseconds is a 400 naming the field', async () => {
    const cases: [FormData, string, RegExp][] = [
      [form({ timestamp: '1764581234' }), 'frame_file', /frame_file is missing/],
      [form({ frame_file: picture, colour: 'red' }), 'colour', /unknown field "colour"/],
      [form({ frame_file: picture, timestamp: '1764581234250' }), 'timestamp', /milliseconds/],
      [form({ frame_file: picture, timestamp: 'yesterday' }), 'timestamp', /seconds since the epoch/],
    ];
    for (const [body, field, message] of cases) {
      const res = await pushTo('door', body);
      assert.deepEqual([res.status, res.body.field], [400, field], res.text);
      assert.match(String(res.body.error), message);
    }
  });

  test('a picture over the limit is a 413 naming the limit, and never reaches the sink', async () => {
    const before = sink.frames.length;
    const res = await pushTo('door', form({ frame_file: Buffer.concat([picture, Buffer.alloc(MAX)]) }));
    assert.equal(res.status, 413, res.text);
    assert.match(String(res.body.error), new RegExp(`limit of ${MAX} bytes`));
    assert.equal(sink.frames.length, before);
  });

  test("the sink's refusals: not a JPEG 415, too large 413, cannot take it now 503 with Retry-After", async () => {
    for (const [refusal, status] of [
      [new PushRefused('not_jpeg', 'the picture does not start like a JPEG'), 415],
      [new PushRefused('too_large', 'over the limit'), 413],
      [new PushRefused('unavailable', 'the camera is being stopped'), 503],
    ] as const) {
      sink.refuseNext = refusal;
      const res = await pushTo('door', form({ frame_file: picture }));
      assert.equal(res.status, status, res.text);
      assert.ok(String(res.body.error).startsWith(refusal.message), res.text);
      assert.equal(res.headers.get('retry-after'), status === 503 ? '1' : null);
    }
  });
});

describe('push route without API_TOKEN', () => {
  test("a camera's own token still works, and nothing else does: the API token is off, not empty-matches-empty", async () => {
    const off = await startHttp(undefined, {
      token: '',
      ingest: { cameras: { pushTarget: (id) => targets.get(id) }, apiToken: '', maxFrameBytes: MAX, clock: systemClock },
    });
    try {
      const send = (camera: string, headers: Record<string, string>) =>
        fetch(`${off.url}/api/ingest/push/${camera}`, { method: 'POST', headers, body: form({ frame_file: picture }) });
      assert.equal((await send('door', { authorization: `Bearer ${DOOR_TOKEN}` })).status, 204);
      assert.equal((await send('lobby', { authorization: 'Bearer ' })).status, 401);
      assert.equal((await send('lobby', {})).status, 401);
      assert.equal((await off.call('/api/cameras', { token: '' })).status, 404, 'the rest of /api is off');
    } finally {
      await off.stop();
    }
  });
});

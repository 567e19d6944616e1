// What every request to the Fastify server shares, through the real server on a loopback port:
// request ids, security headers, the body limit, the probes' contract, the token-free OpenAPI
// document and /docs page, and the footage of a camera that is no longer current.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CameraChangeError } from '../../src/camera/camera-service.ts';
import { FakeCameraService } from '../support/fake-camera-service.ts';
import { startHttp, type TestServer } from '../support/http-server.ts';

let http: TestServer;
let cameras: FakeCameraService;
const T0 = Date.UTC(2025, 11, 14, 14, 0, 0);

before(async () => {
  cameras = new FakeCameraService(['camera-1']);
  http = await startHttp(cameras);
  // Footage of a camera removed earlier: its segments stay in the bucket.
  for (const s of [0, 10]) {
    const start = new Date(T0 + s * 1000).toISOString();
    http.store.objects.set(`gone-cam/20251214/1400${String(s).padStart(2, '0')}_gone-cam.mp4`, {
      bytes: Buffer.alloc(100),
      contentType: 'video/mp4',
      metadata: { start, end: new Date(T0 + (s + 10) * 1000).toISOString() },
    });
  }
});
after(async () => {
  await http?.stop();
});

const range = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + 20_000).toISOString()}`;

describe('the HTTP server', () => {
  test('a sane X-Request-Id is echoed and used in the log; anything else is replaced by a fresh id', async () => {
    const kept = await http.call('/api/cameras', { headers: { 'x-request-id': 'checkout-7.a1:b2' } });
    assert.equal(kept.headers.get('x-request-id'), 'checkout-7.a1:b2');
    assert.ok(
      http.logs.some((l) => l.reqId === 'checkout-7.a1:b2' && l.msg === 'api request'),
      "the request's log line carries its id",
    );
    const replaced = await http.call('/health', { headers: { 'x-request-id': 'x'.repeat(200) } });
    assert.match(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const fresh = await http.call('/health');
    assert.match(fresh.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  test('answers carry security headers', async () => {
    const res = await http.call('/api/cameras');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.doesNotMatch(res.headers.get('content-security-policy') ?? '', /upgrade-insecure-requests/);
  });

  test('a body over 64 KiB is a 413 JSON error naming body; a body not sent as JSON is a 415', async () => {
    const big = await http.call('/api/events', { method: 'POST', body: JSON.stringify({ camera: 'camera-1', metadata: 'x'.repeat(70_000) }) });
    assert.equal(big.status, 413);
    assert.deepEqual(((await big.json()) as { field: string }).field, 'body');
    const text = await http.call('/api/events', { method: 'POST', body: 'camera=camera-1', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 415);
  });

  test('the probes: GET and HEAD answer, other methods are 405 with Allow, no token needed', async () => {
    const ready = await http.call('/ready', { token: '' });
    assert.equal(ready.status, 200);
    assert.equal(ready.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(await ready.json(), { ready: true, reasons: [] });
    const head = await http.call('/health', { method: 'HEAD', token: '' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    assert.match((await http.call('/metrics', { token: '' })).headers.get('content-type') ?? '', /^text\/plain/);
    for (const path of ['/health', '/ready', '/metrics', '/elsewhere']) {
      const res = await http.call(path, { method: 'POST', token: '' });
      assert.equal(res.status, 405, path);
      assert.equal(res.headers.get('allow'), 'GET, HEAD');
    }
    const missing = await http.call('/nothing', { token: '' });
    assert.deepEqual([missing.status, ((await missing.json()) as { error: string }).error], [404, 'no route /nothing; try /health, /ready or /metrics']);
  });

  test('/api/openapi.json and /docs need no token; an unknown /api path still does', async () => {
    const doc = await http.call('/api/openapi.json', { token: '' });
    assert.equal(doc.status, 200);
    assert.equal(((await doc.json()) as { openapi: string }).openapi, '3.1.0');
    const page = await http.call('/docs/', { token: '' });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /swagger/i);
    assert.equal((await http.call('/api/nothing', { token: '' })).status, 401);
    assert.equal((await http.call('/api', { token: '' })).status, 401);
    const unknown = await http.call('/api/nothing');
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { error: string }).error, /^no route GET \/api\/nothing/);
  });

  test('a camera that is no longer current still lists its stored footage; an id with none is a 404 naming camera', async () => {
    const gone = await http.call(`/api/cameras/gone-cam/segments?${range}`);
    assert.equal(gone.status, 200, await gone.clone().text());
    assert.equal(((await gone.json()) as { segments: unknown[] }).segments.length, 2);
    const never = await http.call(`/api/cameras/never-cam/segments?${range}`);
    assert.equal(never.status, 404);
    assert.equal(((await never.json()) as { field: string }).field, 'camera');
    assert.equal((await http.call(`/api/cameras/never-cam/clip?${range}`)).status, 404);
    const current = await http.call(`/api/cameras/camera-1/segments?${range}`);
    assert.equal(current.status, 200, 'a current camera without footage in the range: an empty listing');
    assert.equal((await http.call(`/api/cameras/gone-cam/clip?${range}`, { method: 'HEAD' })).status, 404, 'a HEAD does not cut a clip');
  });

  test('an error answer is scrubbed: a password the redactor knows, or in a URL, never comes back', async () => {
    http.redactor.add('Known-pw-4471');
    cameras.failNext = new CameraChangeError('invalid', 'camera refused login Known-pw-4471 at rtsp://admin:Url-pw-9@192.0.2.1/s', 'source_url');
    const res = await http.call('/api/cameras', {
      method: 'POST',
      body: JSON.stringify({ id: 'cam-x', source_type: 'rtsp', source_url: 'rtsp://192.0.2.1/s' }),
    });
    const text = await res.text();
    assert.equal(res.status, 400);
    assert.ok(!text.includes('Known-pw-4471') && !text.includes('Url-pw-9'), text);
  });

  test('events accept a current camera and refuse a removed one, naming camera', async () => {
    const ok = await http.call('/api/events', { method: 'POST', body: JSON.stringify({ camera: 'camera-1' }) });
    assert.equal(ok.status, 202, await ok.clone().text());
    const gone = await http.call('/api/events', { method: 'POST', body: JSON.stringify({ camera: 'gone-cam' }) });
    assert.equal(gone.status, 400);
    assert.equal(((await gone.json()) as { field: string }).field, 'camera');
  });
});

test('without API_TOKEN every /api route answers that the routes are off', async () => {
  const off = await startHttp(new FakeCameraService(['camera-1']), { token: '' });
  try {
    for (const path of ['/api/cameras', '/api/events/x', '/api/nothing']) {
      const res = await off.call(path, { token: '' });
      assert.equal(res.status, 404, path);
      assert.match(await res.text(), /the \/api routes are off: set API_TOKEN/);
    }
  } finally {
    await off.stop();
  }
});

test('stop() lets a request in flight finish, and refuses new connections', async () => {
  const slow = new FakeCameraService();
  const server = await startHttp(slow);
  let open!: () => void;
  slow.gate = new Promise((resolve) => {
    open = resolve;
  });
  const inFlight = server.call('/api/cameras', {
    method: 'POST',
    body: JSON.stringify({ id: 'cam-late', source_type: 'rtsp', source_url: 'rtsp://192.0.2.1/s' }),
  });
  while (slow.calls.length === 0) await new Promise((r) => setImmediate(r));
  const stopped = server.stop();
  await assert.rejects(fetch(`${server.url}/health`), 'no new connection once stopping');
  open();
  assert.equal((await inFlight).status, 201);
  await stopped;
});

// The camera routes through the real Fastify server on a loopback port, against a fake registry:
// status codes, the field a 400 names, the 409/404/503 mapping, the token, and passwords that
// never come back in an answer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CameraChangeError } from '../../src/camera/camera-service.ts';
import { FakeCameraService } from '../support/fake-camera-service.ts';
import { startHttp, type TestServer } from '../support/http-server.ts';

const PASSWORD = 'Zq8-secret-pw';
let cameras: FakeCameraService;
let http: TestServer;

before(async () => {
  cameras = new FakeCameraService(['camera-1']);
  http = await startHttp(cameras);
});
after(async () => {
  await http?.stop();
});

const post = (body: unknown) => http.call('/api/cameras', { method: 'POST', body: JSON.stringify(body) });
const patch = (id: string, body: unknown) => http.call(`/api/cameras/${id}`, { method: 'PATCH', body: JSON.stringify(body) });
async function failure(res: Response): Promise<{ status: number; error: string; field?: string; text: string }> {
  const text = await res.text();
  return { status: res.status, text, ...(JSON.parse(text) as { error: string; field?: string }) };
}

describe('camera routes', () => {
  test('POST adds a camera: 201 with the view, the password masked; GET lists it and returns it', async () => {
    const res = await post({
      id: 'cam-001',
      source_type: 'rtsp',
      source_url: `rtsp://viewer:${PASSWORD}@192.0.2.10:554/stream1`,
      labels: { site: 'store-12' },
    });
    const text = await res.text();
    assert.equal(res.status, 201, text);
    assert.ok(!text.includes(PASSWORD), text);
    const view = JSON.parse(text) as { id: string; origin: string; labels: Record<string, string> };
    assert.deepEqual([view.id, view.origin, view.labels], ['cam-001', 'api', { site: 'store-12' }]);
    const list = (await (await http.call('/api/cameras')).json()) as { cameras: { id: string }[] };
    assert.deepEqual(
      list.cameras.map((c) => c.id),
      ['camera-1', 'cam-001'],
    );
    assert.equal(((await (await http.call('/api/cameras/cam-001')).json()) as { id: string }).id, 'cam-001');
  });

  test('bad input is a 400 naming the field, and nothing reaches the registry', async () => {
    const good = { id: 'cam-002', source_type: 'rtsp', source_url: 'rtsp://192.0.2.10/s' };
    const cases: [unknown, string][] = [
      [{ ...good, id: 'Cam_2' }, 'id'],
      [{ ...good, id: 'x'.repeat(64) }, 'id'],
      [{ ...good, source_type: 'file' }, 'source_type'],
      [{ ...good, source_url: 'file:///etc/passwd' }, 'source_url'],
      [{ ...good, source_url: 'synthetic:?size=320x240' }, 'source_url'],
      [{ ...good, source_url: `rtsp://viewer:${PASSWORD}#x@192.0.2.10/s` }, 'source_url'],
      [{ ...good, source_url: 'rtsp:///s' }, 'source_url'],
      [{ ...good, source_url: `rtsp://viewer:it's-${PASSWORD}@192.0.2.10/s#x` }, 'source_url'],
      [{ ...good, labels: { '9lives': 'x' } }, 'labels'],
      [{ ...good, labels: { site: 7 } }, 'labels'],
      [{ ...good, enabled: 'yes' }, 'enabled'],
      [{ ...good, colour: 'red' }, 'colour'],
      [{ id: 'cam-002', source_type: 'rtsp' }, 'source_url'],
    ];
    const before = cameras.calls.length;
    for (const [body, field] of cases) {
      const e = await failure(await post(body));
      assert.deepEqual([e.status, e.field], [400, field], `${JSON.stringify(body)} → ${e.text}`);
      assert.ok(e.error.length > 20, e.error);
      assert.ok(!e.text.includes(PASSWORD), e.text);
    }
    assert.equal(cameras.calls.length, before, 'the registry was never asked');
  });

  test('a 400 says how to fix it: the id rule, the allowed fields, the URL form', async () => {
    assert.match((await failure(await post({ id: 'Cam_2', source_type: 'rtsp', source_url: 'rtsp://h/s' }))).error, /lowercase letters, digits and "-"/);
    assert.match(
      (await failure(await post({ id: 'cam-2', source_type: 'file', source_url: 'rtsp://h/s' }))).error,
      /source_type must be one of "rtsp", "http_push", "synthetic": Where the video comes from/,
    );
    assert.match(
      (await failure(await post({ id: 'cam-2', source_type: 'rtsp', source_url: 'rtsp://h/s', colour: 'red' }))).error,
      /unknown field "colour"; allowed: id, source_type, source_url, push_token, labels, enabled/,
    );
    assert.match((await failure(await post({ id: 'cam-2', source_type: 'rtsp', source_url: 'http://h/s' }))).error, /rtsp:\/\/ or rtsps:\/\//);
  });

  test('PATCH changes a runtime camera; an empty or unknown-field patch is a 400; a bad id in the path is a 400 naming id', async () => {
    const res = await patch('cam-001', { enabled: false, labels: { zone: 'door' } });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json().then((v) => [(v as { enabled: boolean }).enabled, (v as { labels: unknown }).labels]), [false, { zone: 'door' }]);
    assert.deepEqual(await failure(await patch('cam-001', {})).then((e) => [e.status, e.field]), [400, 'body']);
    assert.deepEqual(await failure(await patch('cam-001', { id: 'other' })).then((e) => [e.status, e.field]), [400, 'id']);
    assert.deepEqual(await failure(await patch('Bad_Id', { enabled: true })).then((e) => [e.status, e.field]), [400, 'id']);
    const masked = await patch('cam-001', { source_url: `rtsp://viewer:${PASSWORD}@192.0.2.11/s` });
    assert.equal(masked.status, 200);
    assert.ok(!(await masked.text()).includes(PASSWORD));
  });

  test("the registry's refusals map to 404, 409 (duplicate, read-only config camera) and 503, with its message", async () => {
    const dup = await failure(await post({ id: 'cam-001', source_type: 'rtsp', source_url: 'rtsp://192.0.2.10/s' }));
    assert.deepEqual([dup.status, dup.field], [409, 'id']);
    const readOnly = await failure(await patch('camera-1', { enabled: false }));
    assert.equal(readOnly.status, 409);
    assert.match(readOnly.error, /defined in environment CAMERA1_RTSP_URL/);
    assert.equal((await http.call('/api/cameras/camera-1', { method: 'DELETE' })).status, 409);
    assert.deepEqual(await failure(await http.call('/api/cameras/cam-404')).then((e) => [e.status, e.field]), [404, 'id']);
    assert.equal((await patch('cam-404', { enabled: true })).status, 404);
    cameras.failNext = new CameraChangeError('unavailable', 'the camera store is not answering');
    const down = await failure(await post({ id: 'cam-003', source_type: 'rtsp', source_url: 'rtsp://192.0.2.10/s' }));
    assert.deepEqual([down.status, down.error], [503, 'the camera store is not answering']);
  });

  test('an unexpected failure is a 500 without a stack trace, logged at error with the request id', async () => {
    cameras.failNext = new Error(`boom at /srv/app/secret-path.ts:12 ${PASSWORD}`);
    const res = await http.call('/api/cameras/cam-001', { method: 'DELETE', headers: { 'x-request-id': 'req-500-test' } });
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('x-request-id'), 'req-500-test');
    assert.deepEqual(await res.json(), { error: 'internal error' });
    const line = http.logs.find((l) => l.level === 'error');
    assert.equal(line?.reqId, 'req-500-test', JSON.stringify(line));
  });

  test('DELETE removes a runtime camera: 200 with what it left', async () => {
    const res = await http.call('/api/cameras/cam-001', { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { id: 'cam-001', segments_waiting: 1 });
    assert.equal((await http.call('/api/cameras/cam-001')).status, 404);
  });

  test('without the token every camera route is a 401 with WWW-Authenticate, and the registry is not asked', async () => {
    const before = cameras.calls.length;
    for (const [method, path] of [
      ['GET', '/api/cameras'],
      ['POST', '/api/cameras'],
      ['GET', '/api/cameras/camera-1'],
      ['PATCH', '/api/cameras/camera-1'],
      ['DELETE', '/api/cameras/camera-1'],
    ] as const) {
      const res = await http.call(path, { method, token: '', ...(method === 'POST' || method === 'PATCH' ? { body: '{}' } : {}) });
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
    assert.equal((await http.call('/api/cameras', { token: 'wrong-token-of-some-length' })).status, 401);
    assert.equal(cameras.calls.length, before);
  });
});

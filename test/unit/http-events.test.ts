// POST /api/events over the real HTTP server: the answers an integrator sees for a new event, a
// repeat of its event_id, and an event_id another camera holds.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeCameraService } from '../support/fake-camera-service.ts';
import { startHttp, type TestServer } from '../support/http-server.ts';

let server: TestServer;
before(async () => {
  server = await startHttp(new FakeCameraService(['camera-1', 'camera-2']));
});
after(() => server.stop());

const post = async (body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
  const res = await server.call('/api/events', { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

test('a new event is 202 duplicate false; its event_id again is 200 with the stored event, duplicate true; from another camera 409 naming event_id', async () => {
  const event = { camera: 'camera-1', event_id: 'http-repeat-0001', frames: 2, frames_mode: 'before', metadata: { receipt: 'R-1' } };
  const first = await post(event);
  assert.equal(first.status, 202);
  assert.equal(first.json.id, 'http-repeat-0001');
  assert.equal(first.json.duplicate, false);
  assert.equal(first.json.frames_requested, 2);
  assert.equal(first.json.frames_mode, 'before');
  assert.equal(first.json.status_url, '/api/events/http-repeat-0001');
  const again = await post({ ...event, frames: 0 });
  assert.equal(again.status, 200);
  assert.deepEqual(again.json, { ...first.json, duplicate: true });
  const clash = await post({ ...event, camera: 'camera-2' });
  assert.equal(clash.status, 409);
  assert.equal(clash.json.field, 'event_id');
  assert.match(String(clash.json.error), /already an event of camera camera-1/);
  const stored = (await (await server.call('/api/events/http-repeat-0001')).json()) as Record<string, unknown>;
  assert.equal(stored.frames_requested, 2);
  assert.deepEqual(stored.metadata, { receipt: 'R-1' });
});

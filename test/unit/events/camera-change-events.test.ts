import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CameraSpec } from '../../../src/camera/camera-spec.ts';
import { emitCameraChange } from '../../../src/events/camera-change-events.ts';
import type { EmitEvent } from '../../../src/events/event-bus.ts';

const spec: CameraSpec = {
  id: 'door',
  sourceType: 'rtsp',
  url: 'rtsp://viewer:Secret-Pw1@127.0.0.1:8554/door',
  labels: { zone: 'front' },
  enabled: true,
  origin: 'api',
  definedIn: null,
  createdAt: '2026-12-01T12:00:00.000Z',
  updatedAt: '2026-12-01T12:00:00.000Z',
};

function told(before: CameraSpec | undefined, after: CameraSpec | undefined): unknown[] {
  const out: unknown[] = [];
  const emit: EmitEvent = (type, camera, data) => out.push({ type, camera, data });
  emitCameraChange(emit, before, after);
  return out;
}

test('added, changed (naming the fields, never their values) and removed; the URL and its password are in no event', () => {
  const added = told(undefined, spec);
  assert.deepEqual(added, [{ type: 'camera.added', camera: 'door', data: { source_type: 'rtsp', labels: { zone: 'front' }, defined_in: 'api' } }]);
  const moved = { ...spec, url: 'rtsp://viewer:Other-Pw2@127.0.0.1:8554/door2', labels: { zone: 'back' }, updatedAt: '2026-12-01T13:00:00.000Z' };
  const changed = told(spec, moved);
  assert.deepEqual(changed, [
    { type: 'camera.changed', camera: 'door', data: { source_type: 'rtsp', labels: { zone: 'back' }, defined_in: 'api', changed: ['url', 'labels'] } },
  ]);
  assert.deepEqual(told(spec, { ...spec, updatedAt: '2026-12-01T14:00:00.000Z' }), [], 'only updatedAt: nothing to tell');
  assert.deepEqual(told(moved, undefined), [{ type: 'camera.removed', camera: 'door', data: { source_type: 'rtsp', defined_in: 'api' } }]);
  const all = JSON.stringify([added, changed]);
  assert.ok(!all.includes('Pw1') && !all.includes('Pw2') && !all.includes('8554'));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CameraStates } from '../../../src/events/camera-states.ts';
import { EventBus } from '../../../src/events/event-bus.ts';
import type { AnyEnvelope } from '../../../src/events/event-types.ts';
import { createLogger } from '../../../src/logger.ts';
import { Redactor } from '../../../src/redact.ts';
import { assertCameraState, assertEnvelope } from '../../support/event-schema.ts';

const quiet = () => createLogger('silent', new Redactor());

test('an emitted event reaches every listener in one v1 envelope that the published schema accepts', () => {
  const bus = new EventBus({ log: quiet(), now: () => Date.UTC(2026, 11, 1, 12, 0, 0, 250) });
  const a: AnyEnvelope[] = [];
  const b: AnyEnvelope[] = [];
  bus.subscribe((e) => a.push(e));
  bus.subscribe((e) => b.push(e));
  const e = bus.emit('segment.uploaded', 'cam-1', {
    key: 'cam-1/20261201/120000_cam-1.mp4',
    bytes: 1234,
    start: '2026-12-01T12:00:00.000Z',
    end: '2026-12-01T12:15:00.000Z',
    sha256: 'a'.repeat(64),
  });
  assert.deepEqual(a, [e]);
  assert.deepEqual(b, [e]);
  assert.equal(e.v, 1);
  assert.equal(e.time, '2026-12-01T12:00:00.250Z');
  assertEnvelope(e);
});

test('the schema refuses an envelope whose data does not fit its type, or that lacks a field', () => {
  const bus = new EventBus({ log: quiet() });
  const good = bus.emit('health.problem', 'cam-1', { problem: 'black', since: new Date().toISOString() });
  assert.throws(() => assertEnvelope({ ...good, data: { problem: 'purple', since: good.time } }), /not a valid event envelope/);
  assert.throws(() => assertEnvelope({ ...good, type: 'segment.uploaded' }), /not a valid event envelope/);
  const { id: _id, ...noId } = good;
  assert.throws(() => assertEnvelope(noId), /not a valid event envelope/);
});

test('a listener that throws is logged; the emitter and the other listeners go on', () => {
  const lines: string[] = [];
  const log = createLogger('error', new Redactor(), { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream);
  const bus = new EventBus({ log });
  const got: string[] = [];
  bus.subscribe(() => {
    throw new Error('broken listener');
  });
  bus.subscribe((e) => got.push(e.type));
  assert.doesNotThrow(() => bus.emit('camera.connected', 'cam-1', { source_type: 'rtsp' }));
  assert.deepEqual(got, ['camera.connected']);
  assert.match(lines.join(''), /broken listener/);
});

test('camera states follow the events: connected, problems, motion, the newest stored segment, removal', () => {
  const bus = new EventBus({ log: quiet() });
  const states = new CameraStates();
  bus.subscribe((e) => states.apply(e));
  const changes: (string | undefined)[] = [];
  states.onChange((id, s) => changes.push(s ? `${id}:${s.connected}` : `${id}:gone`));
  states.track('cam-1', 'rtsp', Date.now());
  assert.equal(states.get('cam-1')?.connected, false);
  bus.emit('camera.connected', 'cam-1', { source_type: 'rtsp' });
  bus.emit('health.problem', 'cam-1', { problem: 'frozen', since: new Date().toISOString() });
  bus.emit('health.problem', 'cam-1', { problem: 'black', since: new Date().toISOString() });
  bus.emit('motion.detected', 'cam-1', { area: 0.2, box: { x: 0.1, y: 0.1, w: 0.2, h: 0.3 }, since: new Date().toISOString() });
  const upload = (end: string) => ({ key: `k-${end}`, bytes: 1, start: end, end, sha256: 'b'.repeat(64) });
  bus.emit('segment.uploaded', 'cam-1', upload('2026-12-01T12:15:00.000Z'));
  bus.emit('segment.uploaded', 'cam-1', upload('2026-12-01T12:00:00.000Z')); // an older one finishing late
  let s = states.get('cam-1')!;
  assertCameraState(s);
  assert.deepEqual([s.connected, s.problems, s.motion, s.last_segment?.end], [true, ['black', 'frozen'], true, '2026-12-01T12:15:00.000Z']);
  bus.emit('health.ok', 'cam-1', { problem: 'black', since: new Date().toISOString() });
  bus.emit('camera.disconnected', 'cam-1', { source_type: 'rtsp', reason: 'camera_unreachable' });
  s = states.get('cam-1')!;
  assertCameraState(s);
  assert.deepEqual([s.connected, s.disconnect_reason, s.problems, s.motion], [false, 'camera_unreachable', ['frozen'], false]);
  bus.emit('camera.removed', 'cam-1', { source_type: 'rtsp', defined_in: 'api' });
  assert.equal(states.get('cam-1'), undefined);
  assert.equal(changes.at(-1), 'cam-1:gone');
  assert.equal(changes[0], 'cam-1:false');
});

// Push cameras as runtime cameras: added over the API with a token of their own, stored with the
// token sealed like a password (in neither the stored object nor the local copy, in any form), back
// after a restart with the same token; never shown in a view; refused without a secrets key.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CAMERAS_CACHE_DIR } from '../../src/camera/camera-records.ts';
import { CameraChangeError } from '../../src/camera/camera-service.ts';
import { FakeRecorders, testSupervisor } from '../support/camera-supervisor.ts';
import { MemoryStore } from '../support/memory-store.ts';

const KEY = Buffer.alloc(32, 7);
const TOKEN = 'door-push-token-91c4e7b2';

describe('runtime push cameras', () => {
  test('the push token is sealed in the store and the local copy, comes back after a restart, and is never in a view', async () => {
    const store = new MemoryStore();
    const first = testSupervisor({ store, newRecorder: new FakeRecorders().make, key: KEY });
    await first.supervisor.start();
    const view = await first.supervisor.add({ id: 'door', source_type: 'http_push', push_token: TOKEN, labels: { site: 's1' } });
    await first.supervisor.add({ id: 'lobby', source_type: 'http_push' });
    await first.supervisor.stop();
    assert.deepEqual([view.source_type, view.source_url, view.push_token_set], ['http_push', '/api/ingest/push/door', true]);
    assert.ok(!JSON.stringify(view).includes(TOKEN));

    const stored = [...store.objects.entries()].filter(([k]) => k.startsWith('_cameras/')).map(([, v]) => v.bytes.toString('latin1'));
    const local = readdirSync(join(first.tempDir, CAMERAS_CACHE_DIR)).map((n) => readFileSync(join(first.tempDir, CAMERAS_CACHE_DIR, n), 'latin1'));
    assert.equal(stored.length, 2);
    for (const text of [...stored, ...local]) {
      for (const form of [TOKEN, Buffer.from(TOKEN).toString('base64'), Buffer.from(TOKEN).toString('hex')]) assert.ok(!text.includes(form), text);
    }
    assert.ok(stored.some((t) => t.includes('push_token_sealed')));

    const next = testSupervisor({ store, newRecorder: new FakeRecorders().make, key: KEY });
    await next.supervisor.start();
    try {
      assert.equal(next.supervisor.pushTarget('door')?.pushToken, TOKEN);
      assert.equal(next.supervisor.pushTarget('door')?.sourceType, 'http_push');
      assert.equal(next.supervisor.pushTarget('lobby')?.pushToken, undefined);
      assert.equal(next.supervisor.get('lobby')?.push_token_set, false);
      assert.ok(!next.redactor.scrub(`x ${TOKEN} x`).includes(TOKEN), 'the loaded token is a secret to the redactor');
    } finally {
      await next.supervisor.stop();
    }
  });

  test('without a secrets key a push token cannot be stored: 409 naming push_token; a push camera without one is added', async () => {
    const { supervisor } = testSupervisor({ store: new MemoryStore(), newRecorder: new FakeRecorders().make });
    await supervisor.start();
    try {
      await assert.rejects(
        supervisor.add({ id: 'door', source_type: 'http_push', push_token: TOKEN }),
        (err) => err instanceof CameraChangeError && err.kind === 'conflict' && err.field === 'push_token' && !err.message.includes(TOKEN),
      );
      assert.equal((await supervisor.add({ id: 'door', source_type: 'http_push' })).push_token_set, false);
    } finally {
      await supervisor.stop();
    }
  });

  test('a source_url on a push camera, a push_token on an rtsp camera, or a short token is invalid, naming the field', async () => {
    const { supervisor } = testSupervisor({ store: new MemoryStore(), newRecorder: new FakeRecorders().make, key: KEY });
    await supervisor.start();
    try {
      for (const [input, field] of [
        [{ id: 'a', source_type: 'http_push', source_url: 'rtsp://127.0.0.1/a' }, 'source_url'],
        [{ id: 'b', source_type: 'rtsp', source_url: 'rtsp://127.0.0.1/b', push_token: TOKEN }, 'push_token'],
        [{ id: 'c', source_type: 'http_push', push_token: 'short' }, 'push_token'],
      ] as const) {
        await assert.rejects(supervisor.add(input), (err) => err instanceof CameraChangeError && err.kind === 'invalid' && err.field === field);
      }
    } finally {
      await supervisor.stop();
    }
  });
});

describe('a push token replaced over PATCH', () => {
  test('takes effect at once without restarting the recorder, is stored sealed, and survives a restart; on an rtsp camera it is refused', async () => {
    const store = new MemoryStore();
    const fakes = new FakeRecorders();
    const first = testSupervisor({ store, newRecorder: fakes.make, key: KEY });
    await first.supervisor.start();
    const NEW = 'door-push-token-rotated-55aa';
    try {
      await first.supervisor.add({ id: 'door', source_type: 'http_push', push_token: TOKEN });
      await first.supervisor.add({ id: 'cam', source_type: 'rtsp', source_url: 'rtsp://127.0.0.1/c' });
      const view = await first.supervisor.change('door', { push_token: NEW });
      assert.equal(view.push_token_set, true);
      assert.equal(first.supervisor.pushTarget('door')?.pushToken, NEW);
      assert.equal(fakes.started.filter((c) => c.id === 'door').length, 1, 'the recorder was not restarted');
      const stored = store.objects.get('_cameras/door.json')!.bytes.toString('latin1');
      assert.ok(!stored.includes(NEW) && !stored.includes(TOKEN), stored);
      assert.ok(!first.redactor.scrub(`x ${NEW}`).includes(NEW));
      await assert.rejects(
        first.supervisor.change('cam', { push_token: NEW }),
        (err) => err instanceof CameraChangeError && err.kind === 'invalid' && err.field === 'push_token',
      );
    } finally {
      await first.supervisor.stop();
    }
    const next = testSupervisor({ store, newRecorder: new FakeRecorders().make, key: KEY });
    await next.supervisor.start();
    try {
      assert.equal(next.supervisor.pushTarget('door')?.pushToken, NEW);
    } finally {
      await next.supervisor.stop();
    }
  });
});

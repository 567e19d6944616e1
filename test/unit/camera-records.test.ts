// Runtime cameras survive a restart: stored in the store (one object each under _cameras/), with a
// local copy in temp_dir for a start while the store does not answer; passwords only encrypted;
// a record the key cannot open is logged and skipped, the other cameras load.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CAMERAS_CACHE_DIR } from '../../src/camera/camera-records.ts';
import { configCamera, FakeRecorders, testSupervisor } from '../support/camera-supervisor.ts';
import { MemoryStore } from '../support/memory-store.ts';

const KEY = Buffer.alloc(32, 1);
const PASSWORD = 'Pa55-w%40rd!x';
const WITH_PASSWORD = `rtsp://admin:${PASSWORD}@127.0.0.1:8554/a`;

/** A store and temp dir holding two runtime cameras, one with a password, as a first run left them. */
async function firstRun() {
  const store = new MemoryStore();
  const fakes = new FakeRecorders();
  const first = testSupervisor({ store, newRecorder: fakes.make, key: KEY });
  await first.supervisor.start();
  await first.supervisor.add({ id: 'cam-a', source_type: 'rtsp', source_url: WITH_PASSWORD, labels: { site: 's1' } });
  await first.supervisor.add({ id: 'cam-b', source_type: 'rtsp', source_url: 'rtsp://127.0.0.1:8554/b', enabled: false });
  await first.supervisor.stop();
  return { store, tempDir: first.tempDir };
}

/** The store of `inner`, whose reads of the cameras can be held once read: a load that is slow to finish. */
class GatedStore extends MemoryStore {
  gate: Promise<void> | undefined;
  #reading!: () => void;
  /** Resolves when a load has read every record and waits at the gate. */
  reading = new Promise<void>((r) => (this.#reading = r));
  constructor(inner: MemoryStore) {
    super();
    // one map for both, so the caller's view of the store stays true
    (this as { objects: MemoryStore['objects'] }).objects = inner.objects;
  }
  override async read(key: string): Promise<NodeJS.ReadableStream> {
    const body = await super.read(key);
    const keys = await super.list('_cameras/');
    if (this.gate && key === keys.at(-1)) {
      this.#reading();
      await this.gate;
      this.gate = undefined;
    }
    return body;
  }
}

function cacheFiles(tempDir: string): Buffer[] {
  const dir = join(tempDir, CAMERAS_CACHE_DIR);
  return readdirSync(dir).map((n) => readFileSync(join(dir, n)));
}

describe('runtime cameras across restarts', () => {
  test('a restart from the store brings every runtime camera back as it was, recording with its real URL', async () => {
    const { store } = await firstRun();
    const fakes = new FakeRecorders();
    const next = testSupervisor({ store, newRecorder: fakes.make, key: KEY }); // a new pod: empty temp dir
    await next.supervisor.start();
    assert.deepEqual(
      next.supervisor.list().map((c) => [c.id, c.origin, c.enabled, c.state, c.labels]),
      [
        ['cam-a', 'api', true, 'recording', { site: 's1' }],
        ['cam-b', 'api', false, 'disabled', {}],
      ],
    );
    assert.deepEqual(
      fakes.started.map((c) => c.url),
      [WITH_PASSWORD],
    );
    assert.equal(next.redactor.scrub(`401 ${PASSWORD}`), '401 ***', 'the redactor learned the stored password');
    await next.supervisor.stop();
  });

  test('the password is in neither the stored object nor the local copy, in any form', async () => {
    const { store, tempDir } = await firstRun();
    const stored = [...store.objects.values()].map((o) => o.bytes);
    for (const bytes of [...stored, ...cacheFiles(tempDir)]) {
      const text = bytes.toString('utf8');
      for (const form of [PASSWORD, decodeURIComponent(PASSWORD), 'Pa55']) assert.ok(!text.includes(form), `found ${form} in ${text}`);
    }
    const record = JSON.parse(store.objects.get('_cameras/cam-a.json')!.bytes.toString('utf8')) as Record<string, unknown>;
    assert.equal(record.source_url, 'rtsp://admin:***@127.0.0.1:8554/a', 'an operator sees which camera it is');
    assert.ok(record.source_url_sealed, 'the real URL is sealed');
  });

  test('a password holding a quote or a space is masked whole in the stored object, the local copy and the view', async () => {
    const store = new MemoryStore();
    const t = testSupervisor({ store, newRecorder: new FakeRecorders().make, key: KEY });
    await t.supervisor.start();
    const password = `O'Neil"s pw`;
    await t.supervisor.add({ id: 'cam-q', source_type: 'rtsp', source_url: `rtsp://admin:${password}@127.0.0.1:8554/q` });
    for (const bytes of [store.objects.get('_cameras/cam-q.json')!.bytes, ...cacheFiles(t.tempDir)]) {
      assert.ok(!bytes.toString('utf8').includes('Neil'), bytes.toString('utf8'));
    }
    assert.equal(t.supervisor.get('cam-q')?.source_url, 'rtsp://admin:***@127.0.0.1:8554/q');
    await t.supervisor.stop();
  });

  test('while the store does not answer, cameras come back from the local copy; once it answers, the store is the truth', async () => {
    const { store, tempDir } = await firstRun();
    store.down = true;
    const fakes = new FakeRecorders();
    const next = testSupervisor({ store, newRecorder: fakes.make, key: KEY, tempDir });
    await next.supervisor.start();
    assert.deepEqual(
      next.supervisor.list().map((c) => c.id),
      ['cam-a', 'cam-b'],
    );
    assert.ok(
      next.lines.some((l) => l.includes(`"level":"warn"`) && l.includes('loaded from the local copy')),
      next.lines.join('\n'),
    );
    // meanwhile another replica removed cam-a and added cam-c
    store.down = false;
    const other = testSupervisor({ store, newRecorder: new FakeRecorders().make, key: KEY });
    await other.supervisor.start();
    await other.supervisor.remove('cam-a');
    await other.supervisor.add({ id: 'cam-c', source_type: 'rtsp', source_url: 'rtsp://127.0.0.1:8554/c' });
    await other.supervisor.stop();
    await next.supervisor.storeReachable();
    assert.deepEqual(
      next.supervisor.list().map((c) => c.id),
      ['cam-b', 'cam-c'],
    );
    assert.equal(fakes.liveById.get('cam-a'), 0, 'cam-a was stopped');
    assert.deepEqual(readdirSync(join(tempDir, CAMERAS_CACHE_DIR)).sort(), ['cam-b.json', 'cam-c.json'], 'the local copy follows the store');
    await next.supervisor.stop();
  });

  test('changes made over the API while the store is being read are not undone by what it read', async () => {
    const { store, tempDir } = await firstRun();
    const gated = new GatedStore(store);
    gated.down = true;
    const fakes = new FakeRecorders();
    const next = testSupervisor({ store: gated, newRecorder: fakes.make, key: KEY, tempDir });
    await next.supervisor.start(); // from the local copy: cam-a and cam-b
    gated.down = false;
    let release!: () => void;
    gated.gate = new Promise((r) => (release = r));
    const reconciled = next.supervisor.storeReachable(); // reads cam-a and cam-b, then waits
    await gated.reading;
    await next.supervisor.remove('cam-a');
    await next.supervisor.add({ id: 'cam-z', source_type: 'rtsp', source_url: 'rtsp://127.0.0.1:8554/z' });
    await next.supervisor.change('cam-b', { enabled: true });
    release();
    await reconciled;
    assert.deepEqual(
      next.supervisor.list().map((c) => [c.id, c.state]),
      [
        ['cam-b', 'recording'],
        ['cam-z', 'recording'],
      ],
    );
    assert.equal(fakes.liveById.get('cam-a'), 0, 'cam-a stays removed');
    assert.deepEqual([...store.objects.keys()].sort(), ['_cameras/cam-b.json', '_cameras/cam-z.json']);
    assert.deepEqual(readdirSync(join(tempDir, CAMERAS_CACHE_DIR)).sort(), ['cam-b.json', 'cam-z.json'], 'the local copy keeps the changes');
    await next.supervisor.stop();
  });

  test("a record that breaks the API's rules is logged and skipped: no file source, no id that leaves temp_dir, no bad labels", async () => {
    const { store, tempDir } = await firstRun();
    const record = (id: string, fields: Record<string, unknown>) =>
      Buffer.from(
        JSON.stringify({
          version: 1,
          id,
          source_type: 'rtsp',
          source_url: 'rtsp://127.0.0.1:8554/x',
          labels: {},
          enabled: true,
          created_at: 'x',
          updated_at: 'x',
          ...fields,
        }),
      );
    const put = (key: string, body: Buffer) => store.objects.set(key, { bytes: body, metadata: {}, contentType: 'application/json' });
    put('_cameras/leak.json', record('leak', { source_type: 'file', source_url: 'file:/etc/passwd' }));
    put('_cameras/graph.json', record('graph', { source_url: 'lavfi:testsrc' }));
    put('_cameras/../escape.json', record('../escape', {}));
    put('_cameras/labelled.json', record('labelled', { labels: { camera_id: 'x' } }));
    put('_cameras/broken.json', Buffer.from('null'));
    const fakes = new FakeRecorders();
    const next = testSupervisor({ store, newRecorder: fakes.make, key: KEY, tempDir });
    await next.supervisor.start();
    assert.deepEqual(
      next.supervisor.list().map((c) => c.id),
      ['cam-a', 'cam-b'],
    );
    assert.deepEqual(
      fakes.started.map((c) => c.url),
      [WITH_PASSWORD],
    );
    assert.ok(!existsSync(join(tempDir, 'escape.json')), "nothing is written outside the local copy's folder");
    for (const name of ['leak', 'graph', 'labelled', 'broken'])
      assert.ok(
        next.lines.some((l) => l.includes(`"camera":"${name}"`) && l.includes('"level":"warn"')),
        name,
      );
    assert.ok(next.lines.some((l) => l.includes('_cameras/../escape.json') && l.includes('"level":"warn"')));
    await next.supervisor.stop();
  });

  test('a record the key does not open is logged at warn naming the camera; the other cameras load', async () => {
    const { store } = await firstRun();
    const next = testSupervisor({ store, newRecorder: new FakeRecorders().make, key: Buffer.alloc(32, 2) });
    await next.supervisor.start();
    assert.deepEqual(
      next.supervisor.list().map((c) => c.id),
      ['cam-b'],
    );
    const warning = next.lines.find((l) => l.includes('"camera":"cam-a"'));
    assert.ok(warning, next.lines.join('\n'));
    assert.match(warning, /"level":"warn"/);
    assert.match(warning, /does not decrypt with CAMERA_SECRETS_KEY/);
    await next.supervisor.stop();
  });

  test('a stored camera with the id of a config camera is ignored with a warning: the config one records', async () => {
    const { store } = await firstRun();
    const fakes = new FakeRecorders();
    const next = testSupervisor({
      store,
      newRecorder: fakes.make,
      key: KEY,
      configCameras: [configCamera('cam-a', 'rtsp://127.0.0.1:8554/config', 'config.toml cameras[0]')],
    });
    await next.supervisor.start();
    assert.deepEqual(
      next.supervisor.list().map((c) => [c.id, c.origin]),
      [
        ['cam-a', 'config'],
        ['cam-b', 'api'],
      ],
    );
    assert.deepEqual(
      fakes.started.map((c) => c.url),
      ['rtsp://127.0.0.1:8554/config'],
    );
    assert.ok(next.lines.some((l) => l.includes('has the id of a config camera')));
    await next.supervisor.stop();
  });
});

// The camera set through the CameraService: what is refused and why, read-only config cameras,
// one recorder per camera however changes interleave, and metric series that follow the cameras.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CameraChangeError } from '../../src/camera/camera-service.ts';
import { StoreError } from '../../src/errors.ts';
import { configCamera, FakeRecorders, testSupervisor } from '../support/camera-supervisor.ts';
import { MemoryStore } from '../support/memory-store.ts';

const KEY = Buffer.alloc(32, 1);
const SEGMENT = '20260101-000000.mp4';

function writeSegment(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, SEGMENT), 'footage');
}
const segmentsIn = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.mp4')) : []);

function refused(kind: CameraChangeError['kind'], field?: string, message?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof CameraChangeError, `expected CameraChangeError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    if (field !== undefined) assert.equal(err.field, field);
    if (message) assert.match(err.message, message);
    return true;
  };
}

async function started(opts: Partial<Parameters<typeof testSupervisor>[0]> = {}) {
  const fakes = new FakeRecorders();
  const store = new MemoryStore();
  const t = testSupervisor({ store, newRecorder: fakes.make, key: KEY, ...opts });
  await t.supervisor.start();
  return { ...t, fakes, store };
}

describe('camera supervisor', () => {
  test('an added camera is stored first, then recorded at once; it is listed with its password masked', async () => {
    const { supervisor, fakes, store } = await started();
    const view = await supervisor.add({ id: 'cam-1', source_type: 'rtsp', source_url: 'rtsp://user:s3cret-pw@127.0.0.1:8554/a', labels: { site: 'x' } });
    assert.equal(view.source_url, 'rtsp://user:***@127.0.0.1:8554/a');
    assert.equal(view.origin, 'api');
    assert.equal(view.state, 'recording');
    assert.deepEqual([...store.objects.keys()], ['_cameras/cam-1.json']);
    assert.deepEqual(
      fakes.started.map((c) => c.url),
      ['rtsp://user:s3cret-pw@127.0.0.1:8554/a'],
    );
    assert.deepEqual(
      supervisor.list().map((c) => c.id),
      ['cam-1'],
    );
    await supervisor.stop();
  });

  test('bad input is refused naming the field; nothing is stored or started', async () => {
    const { supervisor, fakes, store } = await started();
    await assert.rejects(supervisor.add({ id: 'Cam_1', source_type: 'rtsp', source_url: 'rtsp://h/s' }), refused('invalid', 'id'));
    await assert.rejects(
      supervisor.add({ id: 'a', source_type: 'rtsp', source_url: 'http://h/s' }),
      refused('invalid', 'source_url', /scheme "http:" is not supported/),
    );
    await assert.rejects(supervisor.add({ id: 'a', source_type: 'rtsp', source_url: 'synthetic:?size=64x64' }), refused('invalid', 'source_url'));
    await assert.rejects(
      supervisor.add({ id: 'a', source_type: 'file' as 'rtsp', source_url: 'file:/etc/passwd' }),
      refused('invalid', 'source_type', /configuration only/),
    );
    await assert.rejects(supervisor.add({ id: 'a', source_type: 'synthetic', source_url: 'synthetic:?size=64x64' }), refused('invalid', 'source_type'));
    await assert.rejects(supervisor.add({ id: 'a', source_type: 'rtsp', source_url: 'rtsp://h/s', labels: { camera_id: 'x' } }), refused('invalid', 'labels'));
    // S3 refuses more than 2 KB of metadata: every segment of this camera would fail to upload
    await assert.rejects(
      supervisor.add({ id: 'a', source_type: 'rtsp', source_url: 'rtsp://h/s', labels: { site: 'é'.repeat(300) } }),
      refused('invalid', 'labels', /over the 1536 they may: S3 limits an object's metadata to 2 KB/),
    );
    assert.equal(store.objects.size, 0);
    assert.equal(fakes.started.length, 0);
    await supervisor.stop();
  });

  test('synthetic cameras come from the API only where the configuration allows them', async () => {
    const { supervisor } = await started({ allowSynthetic: true });
    const view = await supervisor.add({ id: 'demo', source_type: 'synthetic', source_url: 'synthetic:?size=64x64&fps=5' });
    assert.equal(view.source_type, 'synthetic');
    await supervisor.stop();
  });

  test('a duplicate id is a conflict, also with a config camera', async () => {
    const { supervisor } = await started({ configCameras: [configCamera('door', 'rtsp://h/door', 'config.toml cameras[0]')] });
    await supervisor.add({ id: 'cam-1', source_type: 'rtsp', source_url: 'rtsp://h/a' });
    await assert.rejects(supervisor.add({ id: 'cam-1', source_type: 'rtsp', source_url: 'rtsp://h/b' }), refused('conflict', 'id'));
    await assert.rejects(
      supervisor.add({ id: 'door', source_type: 'rtsp', source_url: 'rtsp://h/b' }),
      refused('conflict', 'id', /defined in config\.toml cameras\[0\]/),
    );
    await supervisor.stop();
  });

  test('config cameras are listed as such and read-only, with where they are defined', async () => {
    const { supervisor } = await started({
      configCameras: [configCamera('door', 'rtsp://h/door', 'config.toml cameras[0]'), configCamera('camera-1', 'rtsp://h/1', 'environment CAMERA1_RTSP_URL')],
    });
    assert.deepEqual(
      supervisor.list().map((c) => [c.id, c.origin, c.defined_in]),
      [
        ['camera-1', 'config', 'environment CAMERA1_RTSP_URL'],
        ['door', 'config', 'config.toml cameras[0]'],
      ],
    );
    await assert.rejects(
      supervisor.change('door', { source_url: 'not a url' }),
      refused('read_only', undefined, /defined in config\.toml cameras\[0\] and can be changed only there/),
    );
    await assert.rejects(supervisor.remove('camera-1'), refused('read_only', undefined, /environment CAMERA1_RTSP_URL/));
    await assert.rejects(supervisor.remove('nope'), refused('not_found'));
    await assert.rejects(supervisor.change('nope', { enabled: false }), refused('not_found'));
    await supervisor.stop();
  });

  test('a password needs the secrets key: without it the camera is refused with how to set it; without a password it is added', async () => {
    const { supervisor, store } = await started({ key: undefined });
    await assert.rejects(
      supervisor.add({ id: 'a', source_type: 'rtsp', source_url: 'rtsp://u:pw-1234@h/s' }),
      refused('conflict', 'source_url', /set CAMERA_SECRETS_KEY/),
    );
    assert.equal(store.objects.size, 0);
    await supervisor.add({ id: 'b', source_type: 'rtsp', source_url: 'rtsp://h/s' });
    await supervisor.add({ id: 'c', source_type: 'rtsp', source_url: 'rtsp://viewer@h/s' }); // a user name alone is no secret
    assert.deepEqual([...store.objects.keys()], ['_cameras/b.json', '_cameras/c.json']);
    await supervisor.stop();
  });

  test("the redactor knows a new camera's password before anything is logged", async () => {
    const { supervisor, redactor, lines } = await started();
    await supervisor.add({ id: 'a', source_type: 'rtsp', source_url: 'rtsp://u:Pa55-w%40rd@h/s' });
    assert.equal(redactor.scrub('ffmpeg: 401 for Pa55-w@rd'), 'ffmpeg: 401 for ***');
    assert.ok(lines.length > 0);
    assert.ok(
      lines.every((l) => !l.includes('Pa55')),
      lines.join('\n'),
    );
    await supervisor.stop();
  });

  test('a store that does not take the change refuses it; nothing is started', async () => {
    const { supervisor, store, fakes } = await started();
    store.down = true;
    await assert.rejects(supervisor.add({ id: 'a', source_type: 'rtsp', source_url: 'rtsp://h/s' }), refused('unavailable', undefined, /nothing was changed/));
    assert.equal(supervisor.get('a'), undefined);
    assert.equal(fakes.started.length, 0);
    await supervisor.stop();
  });

  test('a store that times out may still have taken the change: the answer says so, and sending it again works', async () => {
    const { supervisor, fakes, store } = await started();
    const putBytes = store.putBytes.bind(store);
    store.putBytes = async (input) => {
      await putBytes(input);
      store.putBytes = putBytes;
      throw new StoreError('PutObject _cameras/cam-1.json: the request timed out', 'timeout');
    };
    await assert.rejects(
      supervisor.add({ id: 'cam-1', source_type: 'rtsp', source_url: 'rtsp://h/a' }),
      refused('unavailable', undefined, /may be stored, but no recorder was started or stopped: send it again/),
    );
    assert.ok(store.objects.has('_cameras/cam-1.json'), 'the store did take it');
    assert.equal(fakes.started.length, 0);
    await supervisor.add({ id: 'cam-1', source_type: 'rtsp', source_url: 'rtsp://h/a' });
    assert.deepEqual(
      fakes.started.map((c) => c.id),
      ['cam-1'],
    );
    await supervisor.stop();
  });

  test("a new URL replaces only that camera's recorder; labels alone restart nothing; disabled stops it and keeps it listed", async () => {
    const { supervisor, fakes } = await started();
    await supervisor.add({ id: 'a', source_type: 'rtsp', source_url: 'rtsp://h/a' });
    await supervisor.add({ id: 'b', source_type: 'rtsp', source_url: 'rtsp://h/b' });
    await supervisor.change('a', { source_url: 'rtsp://h/a2' });
    assert.deepEqual(
      fakes.started.map((c) => c.url),
      ['rtsp://h/a', 'rtsp://h/b', 'rtsp://h/a2'],
    );
    await supervisor.change('a', { labels: { zone: 'checkout' } });
    assert.equal(fakes.started.length, 3, 'labels restart nothing');
    const off = await supervisor.change('a', { enabled: false });
    assert.equal(off.state, 'disabled');
    assert.equal(fakes.liveById.get('a'), 0);
    assert.equal(fakes.liveById.get('b'), 1, 'b was never stopped');
    assert.deepEqual(
      supervisor.list().map((c) => [c.id, c.state]),
      [
        ['a', 'disabled'],
        ['b', 'recording'],
      ],
    );
    await supervisor.stop();
  });

  test('changes of one camera run one after another: concurrent PATCHes never leave two recorders', async () => {
    const { supervisor, fakes } = await started();
    await supervisor.add({ id: 'a', source_type: 'rtsp', source_url: 'rtsp://h/0' });
    await Promise.all(Array.from({ length: 6 }, (_, i) => supervisor.change('a', { source_url: `rtsp://h/${i + 1}` })));
    assert.equal(fakes.maxLive.get('a'), 1);
    assert.equal(fakes.liveById.get('a'), 1);
    await Promise.all([
      supervisor.add({ id: 'c', source_type: 'rtsp', source_url: 'rtsp://h/c' }),
      supervisor.add({ id: 'c', source_type: 'rtsp', source_url: 'rtsp://h/c' }).catch((e: unknown) => e),
    ]);
    assert.equal(fakes.maxLive.get('c'), 1);
    await supervisor.stop();
    assert.equal(fakes.live, 0);
    assert.equal(
      [...fakes.liveById.values()].reduce((a, b) => a + b, 0),
      0,
      'stop stops every camera',
    );
  });

  test("labels follow a change into camera_info and the segments' metadata; a removed camera's series leave /metrics", async () => {
    const backlog = new Map<string, number>();
    const { supervisor, metrics } = await started({ backlog: (id) => ({ segments: backlog.get(id) ?? 0, bytes: 0 }) });
    await supervisor.add({ id: 'a', source_type: 'rtsp', source_url: 'rtsp://h/a', labels: { site: 's1' } });
    await supervisor.add({ id: 'b', source_type: 'rtsp', source_url: 'rtsp://h/b' });
    await supervisor.change('a', { labels: { site: 's2', zone: 'z' } });
    assert.deepEqual(supervisor.labelsOf('a'), { site: 's2', zone: 'z' });
    let text = await metrics.registry.metrics();
    assert.match(text, /camera_info\{camera_id="a",site="s2",zone="z"\} 1/);
    metrics.segmentsUploaded.inc({ camera_id: 'a' });
    backlog.set('a', 1);
    await supervisor.remove('a');
    text = await metrics.registry.metrics();
    assert.doesNotMatch(text, /camera_segments_recorded_total\{camera_id="a"\}/);
    assert.doesNotMatch(text, /camera_info\{camera_id="a"/);
    assert.match(text, /camera_segments_uploaded_total\{camera_id="a"\} 1/, 'upload series stay while its segments wait');
    assert.deepEqual(supervisor.labelsOf('a'), { site: 's2', zone: 'z' }, 'its last segments keep their labels');
    backlog.set('a', 0); // its last segment was dropped: no upload to announce it
    await supervisor.sweepDrained();
    text = await metrics.registry.metrics();
    assert.doesNotMatch(text, /camera_id="a"/);
    assert.match(text, /camera_segments_recorded_total\{camera_id="b"\} 0/);
    await supervisor.stop();
  });

  test("a removed camera's folder goes once its last segment has left it; a file left behind, or the id added again, keeps it", async () => {
    const { supervisor, tempDir } = await started({ backlog: (id) => ({ segments: segmentsIn(join(tempDir, id)).length, bytes: 0 }) });
    for (const id of ['a', 'b', 'c']) await supervisor.add({ id, source_type: 'rtsp', source_url: `rtsp://h/${id}` });
    for (const id of ['a', 'b', 'c']) writeSegment(join(tempDir, id));
    await supervisor.remove('a');
    await supervisor.remove('b');
    assert.ok(existsSync(join(tempDir, 'a')), 'its segment still waits');
    rmSync(join(tempDir, 'a', SEGMENT)); // uploaded
    await supervisor.uploaded('a');
    assert.ok(!existsSync(join(tempDir, 'a')), 'its folder is gone with its last segment');
    writeFileSync(join(tempDir, 'b', 'not-a-segment.txt'), 'x'); // a file nobody uploads
    rmSync(join(tempDir, 'b', SEGMENT));
    await supervisor.uploaded('b');
    assert.ok(existsSync(join(tempDir, 'b', 'not-a-segment.txt')), 'a file the uploader does not hold is never deleted');
    await supervisor.remove('c');
    await supervisor.add({ id: 'c', source_type: 'rtsp', source_url: 'rtsp://h/c2' }); // while its old segment uploads
    rmSync(join(tempDir, 'c', SEGMENT));
    await supervisor.uploaded('c');
    assert.ok(existsSync(join(tempDir, 'c')), 'the camera added again keeps its folder');
    await supervisor.remove('c');
    await supervisor.stop();
    assert.ok(!existsSync(join(tempDir, 'c')), 'removed with nothing waiting: its folder goes at once');
  });

  test('segments an earlier run left for a camera no longer defined: its upload series and folder go once they are uploaded', async () => {
    const { supervisor, metrics, tempDir } = await started({
      configCameras: [configCamera('door', 'rtsp://h/door', 'config.toml cameras[0]')],
      backlog: (id) => ({ segments: segmentsIn(join(tempDir, id)).length, bytes: 0 }),
    });
    for (const id of ['gone', 'door']) writeSegment(join(tempDir, id));
    supervisor.leftoversOf(['gone', 'door']);
    for (const id of ['gone', 'door']) {
      rmSync(join(tempDir, id, SEGMENT)); // uploaded
      metrics.segmentsUploaded.inc({ camera_id: id });
      await supervisor.uploaded(id);
    }
    const text = await metrics.registry.metrics();
    assert.doesNotMatch(text, /camera_id="gone"/);
    assert.ok(!existsSync(join(tempDir, 'gone')));
    assert.match(text, /camera_segments_uploaded_total\{camera_id="door"\} 1/, 'a camera still defined keeps its series');
    assert.ok(existsSync(join(tempDir, 'door')));
    await supervisor.stop();
  });

  test("a camera's next recorder is told the second its last one stopped in: a segment name, and its key, never repeat", async () => {
    const { supervisor, fakes } = await started();
    await supervisor.add({ id: 'a', source_type: 'rtsp', source_url: 'rtsp://h/a1' });
    const seen = new Set<string>(); // what /ready would see meanwhile: a stopped recorder makes it 503
    const look = setInterval(() => {
      for (const r of supervisor.recorders()) seen.add(r.state);
    }, 5);
    await supervisor.change('a', { source_url: 'rtsp://h/a2' });
    clearInterval(look);
    assert.ok(!seen.has('stopped'), 'no stopped recorder is listed meanwhile');
    await supervisor.change('a', { enabled: false });
    await supervisor.change('a', { enabled: true });
    await supervisor.remove('a');
    await supervisor.add({ id: 'a', source_type: 'rtsp', source_url: 'rtsp://h/a3' });
    await supervisor.stop();
    const events = fakes.events.filter((e) => e.id === 'a');
    assert.equal(events.filter((e) => e.event === 'start').length, 4);
    for (const [i, e] of events.entries()) {
      const previous = events[i - 1];
      if (e.event !== 'start' || !previous) continue;
      assert.equal(previous.event, 'stopped', 'never two recorders at once');
      assert.ok(
        e.newestNameMs !== undefined && e.newestNameMs >= Math.floor(previous.atMs / 1000) * 1000,
        `told ${String(e.newestNameMs)}, the last one stopped at ${previous.atMs}`,
      );
    }
  });

  test('a second stop resolves only when every recorder has stopped', async () => {
    const { supervisor, fakes } = await started();
    await supervisor.add({ id: 'a', source_type: 'rtsp', source_url: 'rtsp://h/a' });
    void supervisor.stop();
    await supervisor.stop();
    assert.equal(fakes.liveById.get('a'), 0);
  });

  test('after stop, changes are refused as unavailable', async () => {
    const { supervisor } = await started();
    await supervisor.stop();
    await assert.rejects(supervisor.add({ id: 'a', source_type: 'rtsp', source_url: 'rtsp://h/a' }), refused('unavailable'));
  });
});

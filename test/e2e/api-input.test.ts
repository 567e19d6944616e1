// What the API does with awkward input and awkward hosts, through the real CLI: synthetic cameras,
// the filesystem store, real ffmpeg. Times unencoded as the README writes them, broken
// percent-encoding, absurdly nested JSON, a client that walks away from its export, a read-only
// FILESYSTEM_ROOT, a full TEMP_DIR, an event whose clip can never be cut.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../support/ports.ts';
import { RecorderProcess } from '../support/recorder-process.ts';

const TOKEN = 'api-input-Test-77e1';
const SLOW_JOIN_FFMPEG = join(import.meta.dirname, '..', 'support', 'realtime-join-ffmpeg.sh');

let recorder: RecorderProcess;
let tempDir: string;
let root: string;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    STORAGE: 'filesystem',
    FILESYSTEM_ROOT: root,
    TEMP_DIR: tempDir,
    SEGMENT_DURATION: '2s',
    CAMERA1_RTSP_URL: 'synthetic:?size=320x240&fps=10',
    API_TOKEN: TOKEN,
    EVENT_POLL_INTERVAL: '200ms',
    ...extra,
  };
}
const call = (r: RecorderProcess, path: string, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${r.port}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
  });
const isoAt = (ms: number): string => new Date(ms).toISOString();
/** The same instant written with a +01:00 offset, as the README shows. */
const plusOne = (ms: number): string => `${new Date(ms + 3_600_000).toISOString().slice(0, 19)}+01:00`;

async function errorOf(res: Response): Promise<{ status: number; error: string; field?: string }> {
  const body = (await res.json()) as { error: string; field?: string };
  return { status: res.status, ...body };
}

/** Pids of the recorder's ffmpeg children that are joining a clip (`-f concat`). */
function clipJoins(parentPid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parentPid && readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes('concat')) pids.push(Number(name));
    } catch {
      /* the process ended while we looked */
    }
  }
  return pids;
}

async function withTmpfs<T>(options: string, run: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'api-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  try {
    return await run(dir);
  } finally {
    execFileSync('umount', ['-l', dir]);
  }
}

before(async () => {
  tempDir = mkdtempSync(join(tmpdir(), 'api-input-'));
  root = mkdtempSync(join(tmpdir(), 'api-input-root-'));
  recorder = new RecorderProcess(env({ FFMPEG_PATH: SLOW_JOIN_FFMPEG, EVENT_MAX_ATTEMPTS: '2' }), await freePort());
  await recorder.until(async () => (await recorder.get('/ready')).status === 200, 60_000, 'ready');
  await recorder.waitForCount((l) => l.msg === 'segment uploaded', 10, 90_000, 'uploads');
});
after(async () => {
  await recorder?.stop(); // SIGTERM: a SIGKILL would leave its camera's ffmpeg running after the tests
});

describe('API input', () => {
  test('a +01:00 offset written unencoded in the query (its + arrives as a space) is read as +01:00', async () => {
    const now = Date.now();
    const res = await call(recorder, `/api/cameras/camera-1/segments?from=${plusOne(now - 30_000)}&to=${plusOne(now)}`);
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { from: string; segments: unknown[] };
    assert.equal(body.from, isoAt(Math.floor((now - 30_000) / 1000) * 1000));
    assert.ok(body.segments.length > 0);
  });

  test('bad percent-encoding in a query parameter or a path part, or a path that is no URL path, is a 400 naming it', async () => {
    const now = isoAt(Date.now());
    const query = await errorOf(await call(recorder, `/api/cameras/camera-1/segments?from=%E0%A4%A&to=${now}`));
    assert.deepEqual([query.status, query.field], [400, 'from']);
    assert.match(query.error, /percent-encoding/);
    const path = await errorOf(await call(recorder, `/api/cameras/%E0%A4%A/segments?from=${now}&to=${now}`));
    assert.deepEqual([path.status, path.field], [400, 'camera']);
    const id = await errorOf(await call(recorder, '/api/events/%E0%A4%A'));
    assert.deepEqual([id.status, id.field], [400, 'id']);
    const noPath = await errorOf(await call(recorder, '//'));
    assert.deepEqual([noPath.status, noPath.field], [400, 'path']);
  });

  test('metadata nested 20,000 levels deep (under the body limit) is a 400 naming metadata; a body that is not JSON names body', async () => {
    const depth = 20_000;
    const body = `{"camera":"camera-1","metadata":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const nested = await errorOf(await call(recorder, '/api/events', { method: 'POST', body }));
    assert.deepEqual([nested.status, nested.field], [400, 'metadata']);
    const notJson = await errorOf(await call(recorder, '/api/events', { method: 'POST', body: '{"camera": camera-1}' }));
    assert.deepEqual([notJson.status, notJson.field], [400, 'body']);
    assert.equal(readdirSync(join(tempDir, '.events')).length, 0, 'nothing stored');
    assert.ok(!recorder.logs.some((l) => l.level === 'error'), 'no request logged as an internal error');
  });

  test('clients that disconnect take their exports with them: the queued one never runs, the running joins are killed, the scratch space is emptied', async () => {
    const now = Date.now();
    const listing = (await (await call(recorder, `/api/cameras/camera-1/segments?from=${isoAt(now - 120_000)}&to=${isoAt(now)}`)).json()) as {
      segments: { start: string; end: string }[];
    };
    const from = Date.parse(listing.segments[1]!.start) + 500;
    const to = Date.parse(listing.segments.at(-1)!.end) - 500;
    assert.ok(to - from >= 12_000, `${(to - from) / 1000} s of footage`);
    const clipPath = `/api/cameras/camera-1/clip?from=${isoAt(from)}&to=${isoAt(to)}`;
    const clients = [new AbortController(), new AbortController(), new AbortController()];
    const requests = clients.map(() => undefined as Promise<unknown> | undefined);
    const ask = (i: number): void => {
      requests[i] = call(recorder, clipPath, { signal: clients[i]!.signal })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined);
    };
    ask(0);
    ask(1);
    let joins: number[] = [];
    await recorder.until(
      async () => {
        joins = clipJoins(recorder.child.pid!);
        return joins.length === 2;
      },
      30_000,
      'two clip joins running',
    );
    ask(2);
    await recorder.waitForLog((l) => l.msg === 'clip export waiting for a free slot', 10_000, 'the third export queued');
    clients[2]!.abort();
    await recorder.waitForLog((l) => l.msg === 'clip export cancelled: the client went away' && l.stage === 'queued', 10_000, 'the queued export cancelled');
    clients[0]!.abort();
    clients[1]!.abort();
    await recorder.waitForCount(
      (l) => l.msg === 'clip export cancelled: the client went away' && l.stage === 'running',
      2,
      10_000,
      'the running exports cancelled',
    );
    await Promise.all(requests);
    for (const pid of joins) assert.ok(!existsSync(`/proc/${pid}/cmdline`) || readFileSync(`/proc/${pid}/cmdline`, 'utf8') === '', `join ${pid} still running`);
    assert.deepEqual(clipJoins(recorder.child.pid!), [], 'no join started for the queued export');
    assert.deepEqual(readdirSync(join(tempDir, '.clips')), [], 'scratch space emptied');
    assert.ok(!recorder.logs.some((l) => l.level === 'error'), 'cancelling is not an error');
  });

  test('an event whose clip keeps failing for a reason other than missing footage ends failed with the reason after events.max_attempts', async () => {
    // A stored segment from an hour ago that no ffmpeg can read.
    const start = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
    const iso = isoAt(start);
    const key = `camera-1/${iso.slice(0, 10).replaceAll('-', '')}/${iso.slice(11, 19).replaceAll(':', '')}_camera-1.mp4`;
    mkdirSync(join(root, key, '..'), { recursive: true });
    writeFileSync(join(root, key), 'this is not an mp4 file');
    writeFileSync(join(root, `${key}.meta.json`), JSON.stringify({ size: 23, contentType: 'video/mp4', metadata: { start: iso, end: isoAt(start + 10_000) } }));
    const res = await call(recorder, '/api/events', {
      method: 'POST',
      body: JSON.stringify({ camera: 'camera-1', at: isoAt(start + 5000), pre_seconds: 2, post_seconds: 2 }),
    });
    assert.equal(res.status, 202);
    const { id } = (await res.json()) as { id: string };
    let rec: { status: string; error?: string; attempts?: number } = { status: 'pending' };
    await recorder.until(
      async () => {
        rec = (await (await call(recorder, `/api/events/${id}`)).json()) as typeof rec;
        return rec.status !== 'pending';
      },
      60_000,
      'the event to end',
    );
    assert.equal(rec.status, 'failed', JSON.stringify(rec));
    assert.equal(rec.attempts, 2);
    assert.match(rec.error ?? '', /^clip not made after 2 attempts: ffprobe could not read key frames/);
  });
});

describe('API on a troubled host', () => {
  test('a read-only FILESYSTEM_ROOT is reported as permission denied, steadily, not as missing and not flapping', async () => {
    await withTmpfs('ro,size=1m', async (readOnly) => {
      const r = new RecorderProcess(
        env({ FILESYSTEM_ROOT: readOnly, TEMP_DIR: mkdtempSync(join(tmpdir(), 'api-ro-')), UPLOAD_RETRY_INITIAL: '4s' }),
        await freePort(),
      );
      try {
        // Equal-jitter backoff from 4 s: the 4th try of a segment comes ≥ 14 s after its 1st, past a store check (every 10 s).
        const first = await r.waitForLog((l) => l.msg === 'upload failed; retrying', 60_000, 'an upload failure');
        await r.waitForLog((l) => l.msg === 'upload failed; retrying' && l.key === first.key && Number(l.attempt) >= 4, 90_000, 'the 4th try of that segment');
        assert.deepEqual(
          r.logs.filter((l) => l.msg === 'store reachable'),
          [],
          'never reported reachable',
        );
        assert.equal(r.logs.filter((l) => /^store (not usable|failing)/.test(l.msg)).length, 1, 'one failure, reported once: uploads and checks agree on why');
        const health = JSON.parse((await r.get('/health')).body) as { store: { up: boolean; lastError: { kind: string; message: string } } };
        assert.equal(health.store.up, false);
        assert.equal(health.store.lastError.kind, 'auth');
        assert.match(health.store.lastError.message, /permission denied \(EROFS\); make FILESYSTEM_ROOT \S+ writable by the service's user/);
        assert.equal((await r.get('/ready')).status, 503);
      } finally {
        await r.stop();
      }
    });
  });

  test('POST /api/events on a full TEMP_DIR answers 507 with a JSON error and leaves no .json.tmp; once space is freed it answers 202', async () => {
    await withTmpfs('size=4m', async (small) => {
      const r = new RecorderProcess(env({ TEMP_DIR: small }), await freePort());
      try {
        await r.until(async () => (await r.get('/ready')).status === 200, 60_000, 'ready');
        const filler = join(small, 'filler');
        try {
          writeFileSync(filler, Buffer.alloc(8 * 2 ** 20));
        } catch (err) {
          assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
        }
        const full = await call(r, '/api/events', { method: 'POST', body: JSON.stringify({ camera: 'camera-1' }) });
        assert.equal(full.status, 507, await full.clone().text());
        assert.match(((await full.json()) as { error: string }).error, /disk \(TEMP_DIR\) is full/);
        assert.deepEqual(readdirSync(join(small, '.events')), [], 'no .json.tmp left');
        rmSync(filler);
        const freed = await call(r, '/api/events', { method: 'POST', body: JSON.stringify({ camera: 'camera-1' }) });
        assert.equal(freed.status, 202);
        assert.ok(!r.logs.some((l) => l.msg === 'api request failed' && l.level === 'error'));
      } finally {
        await r.stop();
      }
    });
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig, type Env } from '../../src/config/load.ts';
import { effectiveConfig } from '../../src/config/print.ts';
import { ConfigError } from '../../src/errors.ts';

const CREDS: Env = { S3_ACCESS_KEY_ID: 'AKTEST', S3_SECRET_ACCESS_KEY: 'sup3r-secret-value' };
const dir = mkdtempSync(join(tmpdir(), 'config-test-'));
let n = 0;
function file(text: string): string {
  const path = join(dir, `c${n++}.toml`);
  writeFileSync(path, text);
  return path;
}
function problems(path: string | undefined, env: Env): string[] {
  try {
    loadConfig(path, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems.map((p) => `${p.key}: ${p.message}`);
  }
  assert.fail('expected the configuration to be rejected');
}

describe('configuration', () => {
  test('defaults apply and CAMERA<N>_RTSP_URL defines camera-<N>', () => {
    const c = loadConfig(undefined, { ...CREDS, CAMERA2_RTSP_URL: 'rtsp://10.0.0.2/s', CAMERA1_RTSP_URL: 'rtsp://10.0.0.1/s' });
    assert.deepEqual(c.cameras.map((x) => x.id), ['camera-1', 'camera-2']);
    assert.equal(c.s3.bucket, 'camera-recordings');
    assert.equal(c.s3.region, 'us-east-1');
    assert.equal(c.http.port, 9090);
    assert.equal(c.tempDir, '/tmp/camera-recordings');
    assert.equal(c.upload.concurrency, 4);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.segmentDurationMs, 15 * 60 * 1000);
    assert.equal(c.backlog.maxBytes, 20 * 2 ** 30);
    assert.equal(c.s3.forcePathStyle, true);
  });

  test('the environment wins over the file', () => {
    const path = file(`segment_duration = "1h"\n[s3]\nbucket = "from-file"\n[[cameras]]\nid = "camera-1"\nurl = "rtsp://file/s"\nlabels = { site = "a" }\n`);
    const c = loadConfig(path, { ...CREDS, S3_BUCKET: 'from-env', SEGMENT_DURATION: '10s', CAMERA1_RTSP_URL: 'rtsp://env/s', MAX_CONCURRENT_UPLOADS: '7' });
    assert.equal(c.s3.bucket, 'from-env');
    assert.equal(c.segmentDurationMs, 10_000);
    assert.equal(c.upload.concurrency, 7);
    assert.deepEqual(c.cameras, [{ id: 'camera-1', url: 'rtsp://env/s', labels: { site: 'a' } }]);
  });

  test('SEGMENT_DURATION accepts 10s, 15m and 1h', () => {
    for (const [text, ms] of [['10s', 10_000], ['15m', 900_000], ['1h', 3_600_000]] as const) {
      assert.equal(loadConfig(undefined, { ...CREDS, CAMERA1_RTSP_URL: 'rtsp://h/s', SEGMENT_DURATION: text }).segmentDurationMs, ms);
    }
  });

  test('a TOML syntax error names the file, line and column', () => {
    const path = file('log_level = "info"\n[s3\nbucket = "x"\n');
    const [p] = problems(path, CREDS);
    assert.match(p!, new RegExp(`^${path.replaceAll('.', '\\.')}:2:\\d+: TOML syntax error`));
  });

  test('an unknown key is rejected with a suggestion', () => {
    const path = file('[s3]\nbuckett = "x"\n[[cameras]]\nid = "a"\nurl = "rtsp://h/s"\n');
    assert.deepEqual(problems(path, CREDS), [`s3.buckett (${path}): unknown key; did you mean "s3.bucket"?`]);
  });

  test('a wrong type names the key and what it expects', () => {
    const path = file('[upload]\nconcurrency = "four"\n[[cameras]]\nid = "a"\nurl = "rtsp://h/s"\n');
    assert.deepEqual(problems(path, CREDS), [`upload.concurrency (${path}): expected a whole number, got "four"`]);
  });

  test('a bad duration names the variable and the accepted forms', () => {
    const [p] = problems(undefined, { ...CREDS, CAMERA1_RTSP_URL: 'rtsp://h/s', SEGMENT_DURATION: '15 minutes' });
    assert.equal(p, 'SEGMENT_DURATION (environment): expected a duration such as "10s", "15m" or "1h", got "15 minutes"');
  });

  test('a bad URL is rejected without printing its password', () => {
    const ps = problems(undefined, { ...CREDS, CAMERA1_RTSP_URL: 'http://admin:hunter22@cam/s', CAMERA2_RTSP_URL: 'not a url' });
    assert.equal(ps.length, 2);
    assert.match(ps[0]!, /^CAMERA1_RTSP_URL \(environment\): scheme "http:" is not supported; use rtsp:\/\//);
    assert.match(ps[1]!, /^CAMERA2_RTSP_URL \(environment\): "not a url" is not a URL/);
    assert.ok(!ps.join('\n').includes('hunter22'));
  });

  test('missing S3 credentials are named, with the fix', () => {
    assert.deepEqual(problems(undefined, { CAMERA1_RTSP_URL: 'rtsp://h/s', S3_ACCESS_KEY_ID: 'AK' }), [
      's3 credentials: missing S3_SECRET_ACCESS_KEY: set them in the environment (or s3.access_key_id / s3.secret_access_key), or use storage = "filesystem"',
    ]);
  });

  test('the filesystem store needs no credentials', () => {
    const c = loadConfig(undefined, { STORAGE: 'filesystem', CAMERA1_RTSP_URL: 'rtsp://h/s' });
    assert.equal(c.storage, 'filesystem');
  });

  test('duplicate camera ids are rejected', () => {
    const path = file('[[cameras]]\nid = "door"\nurl = "rtsp://a/s"\n[[cameras]]\nid = "door"\nurl = "rtsp://b/s"\n');
    assert.deepEqual(problems(path, CREDS), [`cameras[1] (${path}): duplicate camera id "door" (also at cameras[0] (${path})); every camera needs its own id`]);
  });

  test('camera ids must be lowercase letters, digits and "-", at most 63 characters', () => {
    for (const id of ['Door', 'door_1', '-door', 'a'.repeat(64), 'door/1']) {
      const path = file(`[[cameras]]\nid = ${JSON.stringify(id)}\nurl = "rtsp://a/s"\n`);
      const [p] = problems(path, CREDS);
      assert.match(p!, /is not a valid camera id: use 1-63 lowercase letters, digits and "-"/, id);
    }
    const ok = file(`[[cameras]]\nid = "${'a'.repeat(63)}"\nurl = "rtsp://a/s"\n`);
    assert.equal(loadConfig(ok, CREDS).cameras[0]!.id.length, 63);
  });

  test('every problem is reported at once', () => {
    const path = file('log_level = "loud"\n[http]\nport = 70000\n[[cameras]]\nid = "a"\nurl = "rtsp://h/s"\n');
    assert.deepEqual(problems(path, { ...CREDS, UPLOAD_RETRY_MAX: 'soon' }), [
      `log_level (${path}): expected one of "trace", "debug", "info", "warn", "error", "fatal", got "loud"`,
      `http.port (${path}): must be between 0 and 65535, got 70000`,
      'UPLOAD_RETRY_MAX (environment): expected a duration such as "10s", "15m" or "1h", got "soon"',
    ]);
  });

  test('no camera at all is an error that says how to add one', () => {
    assert.deepEqual(problems(undefined, CREDS), ['cameras: no camera configured: add a [[cameras]] table with id and url, or set CAMERA1_RTSP_URL']);
  });

  test('an unreadable config file says so', () => {
    const [p] = problems(join(dir, 'missing.toml'), CREDS);
    assert.match(p!, /missing\.toml: cannot read the config file \(ENOENT\)/);
  });

  test('the effective config masks secrets and URL passwords', () => {
    const c = loadConfig(undefined, { ...CREDS, CAMERA1_RTSP_URL: 'rtsp://admin:hunter22@cam/s' });
    const text = JSON.stringify(effectiveConfig(c));
    assert.ok(!text.includes('hunter22') && !text.includes('sup3r-secret-value'));
    assert.match(text, /rtsp:\/\/admin:\*\*\*@cam\/s/);
    assert.match(text, /"segment_duration":"15m"/);
  });
});

describe('config.example.toml', () => {
  test('sets every key to its documented default and loads cleanly', async () => {
    const { parse } = await import('smol-toml');
    const { readFileSync } = await import('node:fs');
    const { KEYS } = await import('../../src/config/schema.ts');
    const path = new URL('../../config.example.toml', import.meta.url).pathname;
    const doc = parse(readFileSync(path, 'utf8')) as Record<string, Record<string, unknown>>;
    for (const spec of KEYS) {
      const parts = spec.path.split('.');
      const value = parts.length === 1 ? doc[parts[0]!] : doc[parts[0]!]?.[parts[1]!];
      assert.deepEqual(value, spec.default, `${spec.path} in config.example.toml`);
    }
    const c = loadConfig(path, CREDS);
    assert.deepEqual(c.cameras.map((x) => x.id), ['camera-1', 'camera-2']);
  });
});

describe('README', () => {
  test('the configuration table lists every key with its environment variable and default', async () => {
    const { readFileSync } = await import('node:fs');
    const { KEYS } = await import('../../src/config/schema.ts');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const spec of KEYS) {
      const def = String(spec.default) === '' ? '""' : String(spec.default);
      const row = `| \`${spec.path}\` | ${spec.env ? `\`${spec.env}\`` : ''} | \`${def}\` |`;
      assert.ok(readme.includes(row), `README is missing the row for ${spec.path}: ${row}`);
    }
  });
});

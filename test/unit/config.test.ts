import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { effectiveConfig } from '../../src/config/print.ts';
import { configDir, CREDS, file, problems } from '../support/config-files.ts';

const dir = configDir;

describe('configuration', () => {
  test('defaults apply and CAMERA<N>_RTSP_URL defines camera-<N>', () => {
    const c = loadConfig(undefined, { ...CREDS, CAMERA2_RTSP_URL: 'rtsp://10.0.0.2/s', CAMERA1_RTSP_URL: 'rtsp://10.0.0.1/s' });
    assert.deepEqual(
      c.cameras.map((x) => x.id),
      ['camera-1', 'camera-2'],
    );
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
    assert.deepEqual(c.cameras, [
      {
        id: 'camera-1',
        url: 'rtsp://env/s',
        labels: { site: 'a' },
        sourceType: 'rtsp',
        definedIn: `${path} cameras[0], URL from environment CAMERA1_RTSP_URL`,
      },
    ]);
  });

  test('SEGMENT_DURATION accepts 10s, 15m and 1h', () => {
    for (const [text, ms] of [
      ['10s', 10_000],
      ['15m', 900_000],
      ['1h', 3_600_000],
    ] as const) {
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

describe('configuration: every problem, secrets, bucket names, labels', () => {
  test('cross-field problems are reported with the others: a bad camera URL does not hide missing S3 credentials', () => {
    assert.deepEqual(problems(undefined, { CAMERA1_RTSP_URL: 'http://cam/s', S3_BUCKET: 'Bad_Bucket', UPLOAD_RETRY_INITIAL: '2m', UPLOAD_RETRY_MAX: 'soon' }), [
      'UPLOAD_RETRY_MAX (environment): expected a duration such as "10s", "15m" or "1h", got "soon"',
      'CAMERA1_RTSP_URL (environment): scheme "http:" is not supported; use rtsp:// or rtsps://',
      'S3_BUCKET (environment): "Bad_Bucket" has characters S3 does not allow (uppercase, "_", spaces, …); a bucket name is 3-63 characters of lowercase letters, digits, "." and "-", beginning and ending with a letter or digit, e.g. "camera-recordings"',
      's3 credentials: missing S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY: set them in the environment (or s3.access_key_id / s3.secret_access_key), or use storage = "filesystem"',
    ]);
  });

  test('no camera is reported next to other problems', () => {
    assert.deepEqual(problems(undefined, { ...CREDS, SEGMENT_DURATION: 'x' }), [
      'SEGMENT_DURATION (environment): expected a duration such as "10s", "15m" or "1h", got "x"',
      'cameras: no camera configured: add a [[cameras]] table with id and url, or set CAMERA1_RTSP_URL',
    ]);
  });

  test('bucket names S3 refuses are rejected with the rule they break', () => {
    const cases: [string, RegExp][] = [
      ['ab', /"ab" has 2 characters; a bucket name is 3-63 characters/],
      ['a'.repeat(64), /has 64 characters/],
      ['Bad_Bucket', /has characters S3 does not allow/],
      ['my bucket', /has characters S3 does not allow/],
      ['-recordings', /must begin and end with a lowercase letter or a digit/],
      ['recordings.', /must begin and end with a lowercase letter or a digit/],
      ['rec..ordings', /two adjacent dots/],
      ['192.168.5.4', /looks like an IP address/],
      ['xn--recordings', /starts with "xn--", a prefix S3 reserves/],
      ['sthree-recordings', /starts with "sthree-"/],
      ['recordings-s3alias', /ends with "-s3alias", a suffix S3 reserves/],
      ['recordings--ol-s3', /ends with "--ol-s3"/],
    ];
    for (const [bucket, rule] of cases) {
      const ps = problems(undefined, { ...CREDS, CAMERA1_RTSP_URL: 'rtsp://h/s', S3_BUCKET: bucket });
      assert.equal(ps.length, 1, `${bucket}: ${ps.join('; ')}`);
      assert.ok(ps[0]!.startsWith('S3_BUCKET (environment): '), ps[0]);
      assert.match(ps[0]!, rule, bucket);
    }
    for (const bucket of ['abc', 'camera-recordings', 'store12.recordings', '1-2', 'a'.repeat(63)]) {
      assert.equal(loadConfig(undefined, { ...CREDS, CAMERA1_RTSP_URL: 'rtsp://h/s', S3_BUCKET: bucket }).s3.bucket, bucket);
    }
    // only S3 has bucket names
    assert.equal(loadConfig(undefined, { STORAGE: 'filesystem', CAMERA1_RTSP_URL: 'rtsp://h/s', S3_BUCKET: 'ab' }).storage, 'filesystem');
  });

  test('a URL whose password only works percent-encoded is refused with the fix, its password masked', () => {
    const cases: [string, string, RegExp][] = [
      [
        'rtsp://viewer:pa/ss-9x@10.0.0.5/cam',
        'pa/ss-9x',
        /"rtsp:\/\/viewer:\*\*\*@10\.0\.0\.5\/cam" has an "@" after a "\/", "\?" or "#", so part of the user name or password would be read as the host and port: percent-encode special characters in the user name and password \("@" as %40, "\/" as %2F, "#" as %23/,
      ],
      ['rtsp://viewer:123#abc-q@10.0.0.5:8554/cam', '123#abc-q', /"rtsp:\/\/viewer:\*\*\*@10\.0\.0\.5:8554\/cam" has an "@" after a "\/", "\?" or "#"/],
      ['rtsp://viewer:12?ab-cd@10.0.0.5/cam', '12?ab-cd', /has an "@" after a "\/", "\?" or "#"/],
      ['rtsp://viewer:a@b/c-de@10.0.0.5/cam', 'a@b/c-de', /has an "@" after a "\/", "\?" or "#"/],
      [
        'rtsp://viewer:50%off-x@10.0.0.5/cam',
        '50%off-x',
        /"rtsp:\/\/viewer:\*\*\*@10\.0\.0\.5\/cam" has a "%" in its user name or password that does not start a percent-encoded character: percent-encode .*"%" as %25/,
      ],
      [
        'rtsp://viewer:pa[ss@10.0.0.5:x/cam',
        'pa[ss',
        /"rtsp:\/\/viewer:\*\*\*@10\.0\.0\.5:x\/cam" is not a URL; expected rtsp:\/\/\[user:password@\]host\[:port\]\/path; percent-encode/,
      ],
      ['rtsp://10.0.0.5/cam#frag', 'frag', /has a "#" fragment, which RTSP does not use: if "#" is part of the path or password, percent-encode it as %23/],
    ];
    for (const [url, secret, message] of cases) {
      const ps = problems(undefined, { ...CREDS, CAMERA1_RTSP_URL: url });
      assert.equal(ps.length, 1, ps.join('\n'));
      assert.match(ps[0]!, message, url);
      if (secret !== 'frag') assert.ok(!ps[0]!.includes(secret), ps[0]);
    }
    for (const url of [
      'rtsp://viewer:Pw@Three333@10.0.0.5/cam',
      'rtsp://viewer:a:b+c d@10.0.0.5/cam',
      'rtsp://viewer:pa%2Fss%23%3F%25@10.0.0.5/cam',
      'rtsp://viewer:pässwörd@10.0.0.5/cam',
    ]) {
      assert.equal(loadConfig(undefined, { ...CREDS, CAMERA1_RTSP_URL: url }).cameras[0]!.url, url);
    }
  });

  test('every secret-marked key and every URL password is registered with the redactor', async () => {
    const { KEYS } = await import('../../src/config/schema.ts');
    const { registerSecrets } = await import('../../src/config/secrets.ts');
    const { Redactor } = await import('../../src/redact.ts');
    const secretKeys = KEYS.filter((k) => k.secret);
    assert.ok(
      secretKeys.some((k) => k.path === 's3.access_key_id'),
      'the access key id is a secret',
    );
    // the camera secrets key must be a key (32 bytes in hex) and the brokers' URLs URLs, to load at all
    const value = (env: string, path: string, i: number): string => {
      if (env === 'CAMERA_SECRETS_KEY') return `${i}`.padEnd(64, 'a');
      if (env === 'REDIS_URL') return `redis://rec:redis-url-pass-${i}@127.0.0.1:6379`;
      if (env === 'MQTT_URL') return `mqtt://till:mqtt-url-pass-${i}@127.0.0.1:1883`;
      return `value-of-${path}-${i}`;
    };
    const values = Object.fromEntries(secretKeys.map((k, i) => [k.env!, value(k.env!, k.path, i)]));
    const config = loadConfig(undefined, {
      ...values,
      S3_ENDPOINT: 'http://minio:endpoint-pass@127.0.0.1:9000',
      CAMERA1_RTSP_URL: 'rtsp://viewer:Cam@Pass-1@10.0.0.5/cam',
    });
    const r = new Redactor();
    registerSecrets(r, config);
    for (const [env, value] of Object.entries(values)) assert.equal(r.scrub(`x ${value} y`), 'x *** y', env);
    assert.equal(r.scrub('401 for Cam@Pass-1'), '401 for ***');
    assert.equal(r.scrub('signed with endpoint-pass'), 'signed with ***');
    assert.ok(!r.scrub(`AUTH ${new URL(values.REDIS_URL!).password}`).includes('redis-url-pass'), 'the password in REDIS_URL alone');
    assert.ok(!r.scrub(`CONNECT ${new URL(values.MQTT_URL!).password}`).includes('mqtt-url-pass'), 'the password in MQTT_URL alone');
  });

  test('labels are Prometheus label names; each becomes lowercase object metadata', async () => {
    const { labelMetadata } = await import('../../src/config/labels.ts');
    const path = file('[[cameras]]\nid = "a"\nurl = "rtsp://h/s"\nlabels = { site = "store 12", Zone_Name = "Kasse ü" }\n');
    const cam = loadConfig(path, CREDS).cameras[0]!;
    assert.deepEqual(cam.labels, { site: 'store 12', Zone_Name: 'Kasse ü' });
    assert.deepEqual(labelMetadata(cam.labels), { 'label-site': 'store%2012', 'label-zone-name': 'Kasse%20%C3%BC' });
    for (const [labels, message] of [
      ['{ "zone-1" = "x" }', /"zone-1" is not a usable label name: use letters, digits and "_", not starting with a digit or "__", and not camera_id/],
      ['{ "1zone" = "x" }', /"1zone" is not a usable label name/],
      ['{ __name = "x" }', /"__name" is not a usable label name/],
      ['{ camera_id = "x" }', /"camera_id" is not a usable label name/],
      ['{ zone_a = "x", Zone_A = "y" }', /"zone_a" and "Zone_A" differ only in case or "_": object metadata keys are case-insensitive, rename one/],
      ['{ site = 12 }', /must be a table of strings/],
    ] as const) {
      const bad = file(`[[cameras]]\nid = "a"\nurl = "rtsp://h/s"\nlabels = ${labels}\n`);
      const ps = problems(bad, CREDS);
      assert.equal(ps.length, 1, ps.join('\n'));
      assert.ok(ps[0]!.startsWith(`cameras[0].labels (${bad}): `), ps[0]);
      assert.match(ps[0]!, message);
    }
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
    assert.deepEqual(
      c.cameras.map((x) => x.id),
      ['camera-1', 'camera-2'],
    );
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

// The CLI as a user meets it: bad configuration, --check-config, --help, and the demo.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { localSegments } from '../support/bucket.ts';
import { probeFile } from '../support/media.ts';
import { freePort } from '../support/ports.ts';
import { CLI, RecorderProcess, runCli } from '../support/recorder-process.ts';

const SECRET = 'cli-test-Secret-9f3a';

describe('command line', () => {
  test('bad configuration exits 2 with one line per problem, naming the key and the fix, without secrets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const config = join(dir, 'bad.toml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(config, '[upload]\nconcurency = 8\n[[cameras]]\nid = "Front Door"\nurl = "rtsp://admin:campass-77@cam/s"\n');
    const r = await runCli(['--config', config], {
      SEGMENT_DURATION: 'forever',
      S3_SECRET_ACCESS_KEY: SECRET,
      CAMERA2_RTSP_URL: 'http://admin:campass-77@cam/s',
    });
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines[0], `camera-recorder: invalid configuration (${config}):`);
    assert.deepEqual(
      lines.slice(1).sort(),
      [
        `  SEGMENT_DURATION (environment): expected a duration such as "10s", "15m" or "1h", got "forever"`,
        `  CAMERA2_RTSP_URL (environment): scheme "http:" is not supported; use rtsp:// or rtsps://`,
        `  cameras[0].id (${config}): "Front Door" is not a valid camera id: use 1-63 lowercase letters, digits and "-", not starting or ending with "-" (it becomes a directory and an object key)`,
        `  upload.concurency (${config}): unknown key; did you mean "upload.concurrency"?`,
        '  s3 credentials: missing S3_ACCESS_KEY_ID: set them in the environment (or s3.access_key_id / s3.secret_access_key), or use storage = "filesystem"',
      ].sort(),
    );
    assert.ok(!r.stderr.includes(SECRET) && !r.stderr.includes('campass-77'));
    assert.equal(r.stdout, '');
  });

  test('a TOML syntax error exits 2 and gives line and column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    const config = join(dir, 'broken.toml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(config, '[s3]\nbucket = "x\n');
    const r = await runCli([], { CONFIG_PATH: config });
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`${config.replaceAll('.', '\\.')}:2:\\d+: TOML syntax error`));
  });

  test('--check-config prints the effective configuration with secrets masked and exits 0', async () => {
    const r = await runCli(['--check-config'], {
      S3_ACCESS_KEY_ID: 'AKID',
      S3_SECRET_ACCESS_KEY: SECRET,
      CAMERA1_RTSP_URL: 'rtsp://admin:campass-77@127.0.0.1/s',
      SEGMENT_DURATION: '10s',
    });
    assert.equal(r.code, 0, r.stderr);
    const config = JSON.parse(r.stdout) as {
      segment_duration: string;
      s3: { secret_access_key: string; bucket: string };
      cameras: { id: string; url: string }[];
    };
    assert.equal(config.segment_duration, '10s');
    assert.equal(config.s3.secret_access_key, '***');
    assert.equal(config.s3.bucket, 'camera-recordings');
    assert.deepEqual(config.cameras, [{ id: 'camera-1', source_type: 'rtsp', url: 'rtsp://admin:***@127.0.0.1/s', labels: {} }]);
    assert.ok(!r.stdout.includes(SECRET) && !r.stdout.includes('campass-77'));
  });

  test('--help and --version answer and exit 0; an unknown command exits 2', async () => {
    const help = await runCli(['--help'], {});
    assert.equal(help.code, 0);
    assert.match(help.stdout, /camera-recorder demo/);
    const version = await runCli(['--version'], {});
    assert.equal(version.code, 0);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), pkg.version);
    const bad = await runCli(['record-everything'], {});
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown command "record-everything"; the commands are "demo" and "clips"/);
  });

  test('a missing ffmpeg binary is a clear startup error', async () => {
    const r = await runCli([], { STORAGE: 'filesystem', CAMERA1_RTSP_URL: 'rtsp://127.0.0.1/s', FFMPEG_PATH: '/nonexistent/ffmpeg' });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /recorder\.ffmpeg_path: cannot run "\/nonexistent\/ffmpeg" \(ENOENT\); install ffmpeg \(apt-get install ffmpeg\) or set FFMPEG_PATH/,
    );
  });

  test('demo records two synthetic cameras into the filesystem store and leaves nothing behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-'));
    // 10 s segments cut on the clock: a run needs 10 s of recording to see a cut for certain, and a
    // loaded machine may take a few seconds to start ffmpeg and its first frames
    const r = await runCli(['demo', '--dir', dir, '--duration', '16s', '--port', '0'], {});
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`stored segments: ${join(dir, 'bucket')}/<camera>/`));
    for (const camera of ['camera-1', 'camera-2']) {
      const days = readdirSync(join(dir, 'bucket', camera));
      const files = days.flatMap((d) =>
        readdirSync(join(dir, 'bucket', camera, d))
          .filter((f) => f.endsWith('.mp4'))
          .map((f) => join(dir, 'bucket', camera, d, f)),
      );
      assert.ok(files.length >= 2, `${camera}: ${files.length} segments`);
      for (const f of files) {
        assert.match(f, new RegExp(`/${camera}/\\d{8}/\\d{6}_${camera}\\.mp4$`));
        const p = probeFile(f);
        assert.deepEqual(p.codecs, ['h264', 'aac']);
        const meta = JSON.parse(readFileSync(`${f}.meta.json`, 'utf8')) as { metadata: { sha256: string } };
        assert.match(meta.metadata.sha256, /^[0-9a-f]{64}$/);
      }
      assert.deepEqual(readdirSync(join(dir, 'spool', camera)), []);
    }
  });

  test('the demo serves the API with a token kept in its folder, never printed: a synthetic camera added with the curl it shows records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-api-'));
    const demo = new RecorderProcess({}, await freePort(), ['demo', '--dir', dir]);
    try {
      await demo.until(async () => demo.stderr.includes('add a camera:'), 30_000, 'the demo banner');
      const token = readFileSync(join(dir, 'api-token'), 'utf8').trim();
      assert.match(token, /^[0-9a-f]{48}$/);
      assert.equal(statSync(join(dir, 'api-token')).mode & 0o777, 0o600);
      // the banner's curl, run as a user would paste it
      const curl = /curl .*\\\n.*\n/.exec(demo.stderr)![0].replace('\\\n', ' ');
      const answer = execFileSync('sh', ['-c', `${curl.trim()} -s -w ' %{http_code}'`], { encoding: 'utf8' });
      assert.match(answer, / 201$/, answer);
      await demo.waitForLog((l) => l.msg === 'segment uploaded' && l.camera === 'camera-3', 60_000, 'a camera-3 segment stored');
      // the banner's snapshot curl gives camera-1's picture now, at its size
      const snapshotCurl = /curl .*snapshot\.jpg\n/.exec(demo.stderr)![0].trim();
      const status = execFileSync('sh', ['-c', `${snapshotCurl} -s -w '%{http_code}'`], { encoding: 'utf8', cwd: dir });
      assert.equal(status, '200');
      const meta = await sharp(readFileSync(join(dir, 'camera-1.jpg'))).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 640, 360]);
      assert.equal((await demo.stop()).code, 0);
      assert.ok(!demo.raw.join('\n').includes(token), 'the token is never printed');
      assert.ok(readdirSync(join(dir, 'bucket', 'camera-3')).length > 0);
    } finally {
      await demo.stop(); // SIGTERM: a SIGKILL would leave its ffmpegs running
    }
  });

  test('SIGTERM waits for uploads to drain; a second signal exits at once and leaves the segments on disk', async () => {
    const tempDir = mkdtempSync(join(tmpdir(), 'signals-'));
    const recorder = new RecorderProcess(
      {
        // nothing listens on the discard port: every upload fails and is retried, so the drain would wait out its grace
        S3_ENDPOINT: 'http://127.0.0.1:9',
        S3_ACCESS_KEY_ID: 'AKID',
        S3_SECRET_ACCESS_KEY: SECRET,
        TEMP_DIR: tempDir,
        SEGMENT_DURATION: '2s',
        SHUTDOWN_GRACE: '10m',
        CAMERA1_RTSP_URL: 'synthetic:?size=320x240&fps=10',
      },
      await freePort(),
    );
    try {
      await recorder.waitForCount((l) => l.msg === 'upload failed; retrying', 1, 30_000, 'a failed upload');
      recorder.child.kill('SIGTERM');
      await recorder.waitForLog((l) => l.msg === 'draining uploads', 20_000, 'the drain');
      assert.equal((await recorder.get('/ready')).status, 503, 'not ready while stopping');
      assert.equal(recorder.child.exitCode, null, 'still draining after the first signal');
      recorder.child.kill('SIGTERM');
      const exit = await recorder.exited;
      assert.deepEqual(exit, { code: 130, signal: null });
      const left = readdirSync(join(tempDir, 'camera-1')).filter((f) => f.endsWith('.mp4'));
      assert.ok(left.length >= 1, 'segments stay on disk for the next start');
      assert.ok(!recorder.raw.join('\n').includes(SECRET));
    } finally {
      await recorder.stop('SIGKILL');
    }
  });

  test('SIGTERM before the configuration is even read exits 0, not 143', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'early-signal-'));
    // a FIFO as the config file: the CLI blocks reading it, so the signal lands at a known moment
    const config = join(dir, 'config.toml');
    execFileSync('mkfifo', [config]);
    const recorder = new RecorderProcess({ TEMP_DIR: join(dir, 'spool') }, await freePort(), ['--config', config]);
    try {
      const fifo = await open(config, 'w'); // resolves once the CLI has opened it for reading
      recorder.child.kill('SIGTERM');
      await fifo
        .writeFile(
          `storage = "filesystem"\n[filesystem]\nroot = "${join(dir, 'bucket')}"\n[[cameras]]\nid = "camera-1"\nurl = "synthetic:?size=320x240&fps=10"\n`,
        )
        .catch(() => undefined); // EPIPE if the signal killed it
      await fifo.close();
      assert.deepEqual(await recorder.exited, { code: 0, signal: null }, recorder.stderr);
      assert.ok(
        recorder.logs.some((l) => l.msg === 'shutdown requested' && l.signal === 'SIGTERM'),
        recorder.raw.join('\n'),
      );
    } finally {
      await recorder.stop('SIGKILL');
    }
  });

  test('SIGHUP is logged and handled like SIGTERM: the last segment is finalized and stored, exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sighup-'));
    const tempDir = join(dir, 'spool');
    const recorder = new RecorderProcess(
      {
        STORAGE: 'filesystem',
        FILESYSTEM_ROOT: join(dir, 'bucket'),
        TEMP_DIR: tempDir,
        SEGMENT_DURATION: '2s',
        CAMERA1_RTSP_URL: 'synthetic:?size=320x240&fps=10',
      },
      await freePort(),
    );
    try {
      await recorder.waitForCount((l) => l.msg === 'segment uploaded', 1, 60_000, 'an upload');
      recorder.child.kill('SIGHUP');
      assert.deepEqual(await recorder.exited, { code: 0, signal: null }, recorder.stderr);
      assert.ok(
        recorder.logs.some((l) => l.msg === 'shutdown requested' && l.signal === 'SIGHUP'),
        'the signal is logged',
      );
      assert.deepEqual(localSegments(tempDir), [], 'segments kept: stored, none left behind');
      const finished = recorder.logs.filter((l) => l.msg === 'segment finished').length;
      assert.equal(recorder.logs.filter((l) => l.msg === 'segment uploaded').length, finished, 'every finished segment uploaded');
    } finally {
      await recorder.stop('SIGKILL');
    }
  });

  test('on a Node.js older than 24 the CLI says so in one line and exits 1, before loading any dependency', () => {
    const old = olderNode();
    const r = spawnSync(old.path, [CLI, '--version'], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^camera-recorder needs Node\\.js ≥ 24; this is ${old.version.replaceAll('.', '\\.')} \\(${old.path}\\)\\. [^\\n]+\\n$`));
  });
});

/** A Node.js older than 24 on this machine, outside the project's own (Debian's nodejs, say); the test needs one. */
function olderNode(): { path: string; version: string } {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== '' && !d.includes('node_modules')), '/usr/bin', '/usr/local/bin', '/bin'];
  const seen: string[] = [];
  for (const path of new Set(dirs.map((d) => join(d, 'node')))) {
    if (!existsSync(path)) continue;
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
    seen.push(`${path} ${version}`);
    if (Number(/^v(\d+)\./.exec(version)?.[1]) < 24) return { path, version };
  }
  assert.fail(`no Node.js older than 24 found (saw: ${seen.join(', ') || 'none'}); install one (apt-get install nodejs) to test the version check`);
}

// Secrets as a user's real configuration holds them: S3 keys, API_TOKEN, camera passwords with
// every kind of special character. The real CLI runs with them; what it logs, prints and serves,
// and the environment of the ffmpeg it starts, must hold none of them.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '../support/ports.ts';
import { RecorderProcess, runCli } from '../support/recorder-process.ts';
import { startRtspServer, type RtspServer } from '../support/rtsp-server.ts';

const S3_KEYS = { S3_ACCESS_KEY_ID: 'SECRETSTESTACCESSKEY7', S3_SECRET_ACCESS_KEY: 'secrets-test-S3-secret/Key+9' };
const API_TOKEN = 'secrets-test-api-token-31';

// `written` is how the URL carries the password in a configuration that runs; `refusedRaw` marks a
// password whose raw form ends the host part early: the configuration must refuse it, masked.
const PASSWORDS: { password: string; written: string; refusedRaw?: true }[] = [
  { password: 'Pw@Three333', written: 'Pw@Three333' },
  { password: 'pa/ss-Word9', written: 'pa%2Fss-Word9', refusedRaw: true },
  { password: '123#abc-Zx', written: '123%23abc-Zx', refusedRaw: true },
  { password: '12?q-Quest', written: '12%3Fq-Quest', refusedRaw: true },
  { password: 'a:b:c-Colon', written: 'a:b:c-Colon' },
  { password: '50%off-Pct', written: '50%25off-Pct', refusedRaw: true },
  { password: 'plus+sign+1', written: 'plus+sign+1' },
  { password: 'with space 7', written: 'with space 7' },
  { password: 'pässwörd-ü8', written: 'pässwörd-ü8' },
  { password: 'Mix@ed+Pw9', written: 'Mix@ed%2BPw9' },
];

/** Every form a secret could leak in: raw, percent-encoded, JSON-escaped, and the URL as written. */
function leakForms(password: string, written: string): string[] {
  return [...new Set([password, written, encodeURIComponent(password), JSON.stringify(password).slice(1, -1)])];
}

function assertNoLeak(surface: string, text: string): void {
  for (const { password, written } of PASSWORDS) {
    for (const form of leakForms(password, written)) assert.ok(!text.includes(form), `${surface} holds ${JSON.stringify(form)}:\n${text.slice(0, 4000)}`);
  }
  for (const secret of [...Object.values(S3_KEYS), API_TOKEN]) assert.ok(!text.includes(secret), `${surface} holds ${secret}`);
  // a password cut in two by the URL pattern leaves its tail after the mask
  assert.doesNotMatch(text, /viewer:\*\*\*@(?!127\.0\.0\.1:)/, `${surface} has text between the mask and the host`);
}

const running = new Set<RecorderProcess>();
let cameras: RtspServer | undefined;
after(async () => {
  for (const r of running) await r.stop('SIGKILL');
  await cameras?.stop();
});

describe('secrets', () => {
  test('the ffmpeg the recorder runs has only PATH and TZ in its environment, none of the secrets', async () => {
    cameras = await startRtspServer({ mounts: { '/cam': 'none' } });
    const tempDir = mkdtempSync(join(tmpdir(), 'secrets-env-'));
    const cameraUrl = cameras.url('/cam').replace('rtsp://', 'rtsp://viewer:Env%40Campass-42@');
    const recorder = new RecorderProcess(
      {
        ...S3_KEYS,
        API_TOKEN,
        S3_ENDPOINT: `http://127.0.0.1:${await freePort()}`, // nothing listens: recording goes on, uploads wait
        CAMERA1_RTSP_URL: cameraUrl,
        TEMP_DIR: tempDir,
        SEGMENT_DURATION: '10s',
        SHUTDOWN_GRACE: '1s', // no store answers: waiting for uploads would only slow the test
      },
      await freePort(),
    );
    running.add(recorder);
    await recorder.until(async () => (await recorder.metric('camera_stream_connected', { camera_id: 'camera-1' })) === 1, 60_000, 'camera-1 connected');
    let environ = '';
    // retried: a restart between reading the pid file and /proc would read a process that is gone
    await recorder.until(
      async () => {
        const pid = Number(readFileSync(join(tempDir, 'camera-1', '.ffmpeg.pid'), 'utf8').trim());
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'ffmpeg') return false;
        environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
        return true;
      },
      30_000,
      'the environment of the running ffmpeg',
    );
    const vars = environ.split('\0').filter(Boolean);
    assert.deepEqual(vars.map((v) => v.split('=')[0]).sort(), ['PATH', 'TZ'], environ.replaceAll('\0', '\n'));
    assert.ok(vars.includes('TZ=UTC'));
    for (const secret of [...Object.values(S3_KEYS), API_TOKEN, 'Env%40Campass-42', 'Env@Campass-42', cameraUrl]) {
      assert.ok(!environ.includes(secret), `ffmpeg's environment holds ${secret}`);
    }
    assert.equal((await recorder.stop()).code, 0);
    running.delete(recorder);
  });

  test('camera passwords with special characters and the S3 and API secrets reach no log line, /health, /metrics or --check-config', async () => {
    const closed = await freePort(); // the cameras refuse connections: ffprobe and ffmpeg echo the URL in their errors
    const url = (i: number, written: string): string => `rtsp://viewer:${written}@127.0.0.1:${closed}/cam${i}`;
    const env: Record<string, string> = {
      ...S3_KEYS,
      API_TOKEN,
      S3_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
      TEMP_DIR: mkdtempSync(join(tmpdir(), 'secrets-')),
      RESTART_INITIAL: '100ms',
      RESTART_MAX: '500ms',
      SHUTDOWN_GRACE: '1s',
      ...Object.fromEntries(PASSWORDS.map(({ written }, i) => [`CAMERA${i + 1}_RTSP_URL`, url(i + 1, written)])),
    };
    const check = await runCli(['--check-config'], env);
    assert.equal(check.code, 0, check.stderr);
    assertNoLeak('--check-config', check.stdout + check.stderr);
    const printed = JSON.parse(check.stdout) as { cameras: { id: string; url: string }[] };
    assert.deepEqual(
      printed.cameras.map((c) => c.url),
      PASSWORDS.map((_, i) => `rtsp://viewer:***@127.0.0.1:${closed}/cam${i + 1}`),
    );

    const recorder = new RecorderProcess(env, await freePort());
    running.add(recorder);
    for (const [i] of PASSWORDS.entries()) {
      // the URL reached the log (masked) for every camera: the check below is not vacuous
      await recorder.waitForLog((l) => l.camera === `camera-${i + 1}` && l.msg.startsWith('ffmpeg not started'), 60_000, `camera-${i + 1} failing to connect`);
    }
    const health = await recorder.get('/health');
    const metrics = await recorder.get('/metrics');
    assert.equal((await recorder.stop()).code, 0);
    running.delete(recorder);
    const logs = recorder.raw.join('\n');
    for (const [i] of PASSWORDS.entries())
      assert.ok(logs.includes(`rtsp://viewer:***@127.0.0.1:${closed}/cam${i + 1}`), `camera-${i + 1}'s URL is not in the log`);
    assertNoLeak('the log', logs);
    assertNoLeak('/health', health.body);
    assertNoLeak('/metrics', metrics.body);
    assert.match(metrics.body, /camera_ffmpeg_restarts_total\{camera_id="camera-10"\} [1-9]/);
  });

  for (const { password } of PASSWORDS.filter((p) => p.refusedRaw)) {
    test(`a raw ${JSON.stringify(password)} in a camera URL is refused with the fix, its password masked`, async () => {
      const raw = `rtsp://viewer:${password}@127.0.0.1:8554/cam`;
      const r = await runCli(['--check-config'], { ...S3_KEYS, API_TOKEN, CAMERA1_RTSP_URL: raw });
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stderr, /^ {2}CAMERA1_RTSP_URL \(environment\): "rtsp:\/\/viewer:\*\*\*@127\.0\.0\.1:8554\/cam" .*percent-encode/m);
      assertNoLeak('the configuration error', r.stdout + r.stderr);
    });
  }
});

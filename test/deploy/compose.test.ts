// docker-compose.yml cannot be started in CI (no container engine), so its structure is checked
// here: pinned images, dependencies that exist and wait for the right condition, the recorder's
// environment accepted by the real configuration loader, and the pieces wired to each other
// (cameras published where the recorder reads them, the bucket created that it writes to).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CAMERA_ENV, KEYS } from '../../src/config/schema.ts';
import { parseDuration } from '../../src/config/units.ts';
import { runCli } from '../support/recorder-process.ts';
import { read, yamlDoc } from './lib.ts';

interface ComposeService {
  image?: string;
  build?: string | { context: string; target?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string> | string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  read_only?: boolean;
  cap_drop?: string[];
  stop_grace_period?: string;
  restart?: string;
  [key: string]: unknown;
}
interface Compose {
  name?: string;
  version?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const compose = yamlDoc<Compose>('docker-compose.yml');
const services = compose.services;
const recorder = services.recorder as ComposeService;
const env = (s: ComposeService): Record<string, string> =>
  Array.isArray(s.environment) ? Object.fromEntries(s.environment.map((e) => e.split(/=(.*)/s).slice(0, 2) as [string, string])) : { ...s.environment };
const argv = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : v.split(/\s+/));
const KNOWN_SERVICE_KEYS = new Set([
  'image',
  'build',
  'command',
  'entrypoint',
  'environment',
  'depends_on',
  'ports',
  'volumes',
  'healthcheck',
  'read_only',
  'cap_drop',
  'security_opt',
  'stop_grace_period',
  'restart',
  'user',
  'tmpfs',
]);

describe('docker-compose.yml', () => {
  test('is a Compose file with the recorder, MinIO with its bucket init, and simulated cameras', () => {
    assert.equal(compose.version, undefined, 'the Compose Specification has no "version" any more');
    assert.deepEqual(Object.keys(services).sort(), ['camera-simulator', 'mediamtx', 'minio', 'minio-init', 'recorder']);
    for (const [name, s] of Object.entries(services)) {
      for (const key of Object.keys(s)) assert.ok(KNOWN_SERVICE_KEYS.has(key), `${name}: unexpected key ${key}`);
      assert.ok(s.image !== undefined || s.build !== undefined, `${name}: image or build`);
      if (s.image !== undefined && s.build === undefined) {
        const m = /^[a-z0-9./-]+:([\w.-]+)$/.exec(s.image);
        assert.ok(m && m[1] !== 'latest', `${name}: pin the image to a version tag (${s.image})`);
      }
      if (s.build !== undefined) assert.equal(typeof s.build === 'string' ? s.build : s.build.context, '.', `${name}: builds ./Dockerfile`);
      for (const p of s.ports ?? []) assert.match(p, /^127\.0\.0\.1:\d+:\d+$/, `${name}: publish on loopback only (${p})`);
    }
  });

  test('dependencies exist and wait for health, completion or start as appropriate', () => {
    for (const [name, s] of Object.entries(services)) {
      const deps = Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d) => [d, { condition: 'service_started' }])) : (s.depends_on ?? {});
      for (const [dep, { condition }] of Object.entries(deps)) {
        const target = services[dep];
        assert.ok(target, `${name} depends on unknown service ${dep}`);
        assert.ok(['service_started', 'service_healthy', 'service_completed_successfully'].includes(condition), `${name} → ${dep}: ${condition}`);
        if (condition === 'service_healthy') assert.ok(target.healthcheck?.test && !target.healthcheck.disable, `${dep} needs a healthcheck`);
        if (condition === 'service_completed_successfully') assert.equal(target.restart, 'no', `${dep} runs once`);
      }
    }
    assert.deepEqual(recorder.depends_on, {
      'minio-init': { condition: 'service_completed_successfully' },
      'camera-simulator': { condition: 'service_started' },
    });
    for (const v of Object.values(services).flatMap((s) => s.volumes ?? [])) {
      const source = v.split(':')[0] as string;
      if (!source.startsWith('.') && !source.startsWith('/')) assert.ok(compose.volumes && source in compose.volumes, `named volume ${source} is declared`);
    }
  });

  test('the recorder environment holds only keys the service reads, and the real loader accepts it', async () => {
    const e = env(recorder);
    const known = new Set(KEYS.map((k) => k.env).filter((x) => x !== undefined));
    for (const key of Object.keys(e)) assert.ok(known.has(key) || CAMERA_ENV.test(key), `${key} is not read by camera-recorder`);
    const r = await runCli(['--check-config'], e);
    assert.equal(r.code, 0, r.stderr);
    const config = JSON.parse(r.stdout) as { cameras: { id: string }[]; storage: string };
    assert.equal(config.storage, 's3');
    assert.deepEqual(
      config.cameras.map((c) => c.id),
      ['camera-1', 'camera-2'],
    );
  });

  test('the pieces are wired: store endpoint, credentials and bucket; camera URLs the simulator publishes', () => {
    const e = env(recorder);
    const endpoint = new URL(e.S3_ENDPOINT ?? '');
    assert.ok(services[endpoint.hostname], `S3_ENDPOINT host ${endpoint.hostname} is a service`);
    assert.equal(endpoint.port, '9000');
    const minio = env(services.minio as ComposeService);
    assert.equal(e.S3_ACCESS_KEY_ID, minio.MINIO_ROOT_USER);
    assert.equal(e.S3_SECRET_ACCESS_KEY, minio.MINIO_ROOT_PASSWORD);
    const init = services['minio-init'] as ComposeService;
    const initScript = argv(init.command).join(' ');
    assert.match(initScript, /mc mb --ignore-existing "local\/\$\$\{BUCKET\}"/);
    assert.equal(env(init).BUCKET, e.S3_BUCKET, 'minio-init creates the bucket the recorder writes to');
    assert.equal(e.S3_CREATE_BUCKET, 'false', 'proves the init container did its job');
    const published = argv((services['camera-simulator'] as ComposeService).command).filter((a) => a.startsWith('rtsp://'));
    const cameras = Object.entries(e)
      .filter(([k]) => CAMERA_ENV.test(k))
      .map(([, v]) => v);
    assert.deepEqual([...cameras].sort(), [...published].sort(), 'every camera URL is published by the simulator');
    for (const url of cameras) assert.ok(services[new URL(url).hostname], `${url}: host is a service`);
  });

  test('the recorder runs read-only, keeps TEMP_DIR on a volume and gets time to shut down cleanly', () => {
    assert.equal(recorder.read_only, true);
    assert.deepEqual(recorder.cap_drop, ['ALL']);
    const tempDir = /TEMP_DIR=(\S+)/.exec(read('Dockerfile'))?.[1];
    assert.ok(tempDir);
    assert.ok(
      (recorder.volumes ?? []).some((v) => v.split(':')[1] === tempDir),
      `a volume at the image's TEMP_DIR ${tempDir}`,
    );
    const e = env(recorder);
    const needed = (parseDuration(e.FFMPEG_STOP_TIMEOUT ?? '10s') as number) + (parseDuration(e.SHUTDOWN_GRACE ?? '25s') as number);
    const grace = parseDuration(recorder.stop_grace_period ?? '10s') as number;
    assert.ok(grace >= needed + 5000, `stop_grace_period ${recorder.stop_grace_period} must exceed FFMPEG_STOP_TIMEOUT + SHUTDOWN_GRACE + 5 s`);
  });
});

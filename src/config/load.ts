// Configuration = defaults → TOML file → environment → validation. Every problem is collected,
// so a user fixes them all in one go instead of one per restart.
import { mqttUrlProblem, redisUrlProblem } from './broker-urls.ts';
import { readFileSync } from 'node:fs';
import { parse as parseToml, TomlError } from 'smol-toml';
import { ConfigError, type ConfigProblem } from '../errors.ts';
import { redactUrl } from '../redact.ts';
import { KEYS, type Config, type KeySpec } from './schema.ts';
import { bucketNameProblem } from './bucket-name.ts';
import { parseSecretsKey } from '../camera/camera-secrets.ts';
import { collectCameras, type Env } from './cameras.ts';
import { closest } from './suggest.ts';
import { isTable } from './table.ts';
import { parseDuration, parseSize } from './units.ts';

export type { Env };

interface Raw {
  value: unknown;
  /** Where it came from, as a user would look for it: `s3.bucket (config.toml)` or `S3_BUCKET (environment)`. */
  where: string;
}

const TABLES = new Set(KEYS.filter((k) => k.path.includes('.')).map((k) => k.path.split('.')[0] as string));
const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Loads and validates; throws ConfigError listing every problem. `file` may be undefined (env only). */
export function loadConfig(file: string | undefined, env: Env, options: { requireCameras?: boolean } = {}): Config {
  const problems: ConfigProblem[] = [];
  let doc: Record<string, unknown> = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ConfigError([{ key: file, message: `cannot read the config file (${code ?? String(err)}); check --config / CONFIG_PATH` }]);
    }
    try {
      doc = parseToml(text) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof TomlError) {
        const first = err.message.split('\n')[0] ?? err.message;
        throw new ConfigError([{ key: `${file}:${err.line}:${err.column}`, message: `TOML syntax error: ${first}` }]);
      }
      throw err;
    }
  }
  const raw = collectFile(doc, file ?? 'config', problems);
  for (const spec of KEYS) {
    const value = spec.env === undefined ? undefined : env[spec.env];
    if (value !== undefined && value !== '') raw.set(spec.path, { value, where: `${spec.env} (environment)` });
  }

  const out: Record<string, unknown> = {};
  const invalid = new Set<string>();
  for (const spec of KEYS) {
    const given = raw.get(spec.path);
    const value = given === undefined ? coerce(spec, spec.default, 'default') : coerce(spec, given.value, given.where);
    if (typeof value === 'string' && value.startsWith('\u0000')) {
      problems.push({ key: given?.where ?? spec.path, message: value.slice(1) });
      invalid.add(spec.path);
      continue;
    }
    setPath(out, spec, value);
  }
  const cameras = collectCameras(doc.cameras, file ?? 'config', env, problems, options.requireCameras ?? true);
  const config = { ...out, cameras } as unknown as Config;
  crossCheck(config, raw, invalid, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function collectFile(doc: Record<string, unknown>, file: string, problems: ConfigProblem[]): Map<string, Raw> {
  const raw = new Map<string, Raw>();
  const known = new Set(KEYS.map((k) => k.path));
  const allNames = [...known, ...TABLES, 'cameras'];
  const unknown = (path: string): void => {
    const hint = closest(path, allNames);
    problems.push({ key: `${path} (${file})`, message: `unknown key${hint ? `; did you mean "${hint}"?` : '; see config.example.toml for every key'}` });
  };
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'cameras') continue;
    if (TABLES.has(key)) {
      if (!isTable(value)) {
        problems.push({ key: `${key} (${file})`, message: `must be a table: write [${key}] and put its keys below it` });
        continue;
      }
      for (const [sub, v] of Object.entries(value)) {
        const path = `${key}.${sub}`;
        if (known.has(path)) raw.set(path, { value: v, where: `${path} (${file})` });
        else unknown(path);
      }
    } else if (known.has(key)) {
      raw.set(key, { value, where: `${key} (${file})` });
    } else {
      unknown(key);
    }
  }
  return raw;
}

/** Returns the typed value, or a string starting with NUL carrying the problem (keeps the loop flat). */
function coerce(spec: KeySpec, value: unknown, where: string): unknown {
  const t = spec.type;
  const fromEnv = where.endsWith('(environment)');
  const bad = (expected: string): string => `\u0000expected ${expected}, got ${describe(value, spec.secret === true)}`;
  switch (t.kind) {
    case 'string':
      if (typeof value !== 'string') return bad('a string');
      if (t.nonEmpty && value.trim() === '') return '\u0000must not be empty';
      return value;
    case 'bool': {
      if (typeof value === 'boolean') return value;
      if (fromEnv && typeof value === 'string' && /^(true|false|1|0|yes|no)$/i.test(value)) return /^(true|1|yes)$/i.test(value);
      return bad('true or false');
    }
    case 'int': {
      const n = fromEnv && typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) return bad('a whole number');
      if (n < t.min || n > t.max) return `\u0000must be between ${t.min} and ${t.max}, got ${n}`;
      return n;
    }
    case 'enum':
      if (typeof value !== 'string' || !t.values.includes(value)) return bad(`one of ${t.values.map((v) => `"${v}"`).join(', ')}`);
      return value;
    case 'duration': {
      const ms = typeof value === 'number' && Number.isFinite(value) ? value * 1000 : typeof value === 'string' ? parseDuration(value) : undefined;
      if (ms === undefined) return bad('a duration such as "10s", "15m" or "1h"');
      if (ms < t.minMs || ms > t.maxMs) return `\u0000must be between ${t.minMs}ms and ${t.maxMs}ms, got ${describe(value, false)}`;
      return ms;
    }
    case 'size': {
      const n = typeof value === 'number' && Number.isInteger(value) ? value : typeof value === 'string' ? parseSize(value) : undefined;
      if (n === undefined) return bad('a size such as "512MiB", "20GiB" or a number of bytes');
      if (n < t.min) return `\u0000must be at least ${t.min} bytes, got ${describe(value, false)}`;
      return n;
    }
  }
}

function describe(value: unknown, secret: boolean): string {
  if (secret) return `a ${typeof value}`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (isTable(value)) return 'a table';
  if (Array.isArray(value)) return 'an array';
  return `${typeof value} ${String(value)}`;
}

function setPath(out: Record<string, unknown>, spec: KeySpec, value: unknown): void {
  const parts = spec.path.split('.');
  const leaf = camel(parts.pop() as string) + (spec.type.kind === 'duration' ? 'Ms' : '');
  let node = out;
  for (const p of parts) {
    node[camel(p)] ??= {};
    node = node[camel(p)] as Record<string, unknown>;
  }
  node[leaf] = value;
}

/** Rules between keys. Each runs when the keys it reads are valid, so one run reports every problem. */
function crossCheck(config: Config, raw: Map<string, Raw>, invalid: Set<string>, problems: ConfigProblem[]): void {
  const at = (path: string): string => raw.get(path)?.where ?? path;
  const valid = (...paths: string[]): boolean => paths.every((p) => !invalid.has(p));
  if (valid('storage') && config.storage === 's3') {
    const bucket = valid('s3.bucket') ? bucketNameProblem(config.s3.bucket) : undefined;
    if (bucket !== undefined) problems.push({ key: at('s3.bucket'), message: bucket });
    if (valid('s3.access_key_id', 's3.secret_access_key') && (config.s3.accessKeyId === '' || config.s3.secretAccessKey === '')) {
      const missing = [config.s3.accessKeyId === '' ? 'S3_ACCESS_KEY_ID' : '', config.s3.secretAccessKey === '' ? 'S3_SECRET_ACCESS_KEY' : ''].filter(Boolean);
      problems.push({
        key: 's3 credentials',
        message: `missing ${missing.join(' and ')}: set them in the environment (or s3.access_key_id / s3.secret_access_key), or use storage = "filesystem"`,
      });
    }
    if (valid('s3.endpoint') && config.s3.endpoint !== '') {
      let ok = false;
      try {
        ok = ['http:', 'https:'].includes(new URL(config.s3.endpoint).protocol);
      } catch {
        /* reported below */
      }
      if (!ok) problems.push({ key: at('s3.endpoint'), message: `"${redactUrl(config.s3.endpoint)}" is not an http(s) URL; e.g. http://minio:9000` });
    }
  }
  const redisUrl = valid('redis.url') && config.redis.url !== '' ? redisUrlProblem(config.redis.url) : undefined;
  if (redisUrl !== undefined) problems.push({ key: at('redis.url'), message: redisUrl });
  const mqttUrl = valid('mqtt.url') && config.mqtt.url !== '' ? mqttUrlProblem(config.mqtt.url) : undefined;
  if (mqttUrl !== undefined) problems.push({ key: at('mqtt.url'), message: mqttUrl });
  if (valid('api.camera_secrets_key') && config.api.cameraSecretsKey !== '') {
    const key = parseSecretsKey(config.api.cameraSecretsKey);
    if (typeof key === 'string') problems.push({ key: at('api.camera_secrets_key'), message: key });
  }
  if (valid('upload.retry_initial', 'upload.retry_max') && config.upload.retryInitialMs > config.upload.retryMaxMs) {
    problems.push({ key: at('upload.retry_initial'), message: 'must not exceed upload.retry_max' });
  }
  if (valid('recorder.restart_initial', 'recorder.restart_max') && config.recorder.restartInitialMs > config.recorder.restartMaxMs) {
    problems.push({ key: at('recorder.restart_initial'), message: 'must not exceed recorder.restart_max' });
  }
  if (valid('push.idle_disconnect', 'push.idle_finalize') && config.push.idleFinalizeMs < config.push.idleDisconnectMs) {
    problems.push({
      key: at('push.idle_finalize'),
      message: 'must be at least push.idle_disconnect: a camera counts as disconnected before its segment is finished',
    });
  }
  if (valid('recorder.stall_timeout', 'recorder.rtsp_timeout') && config.recorder.stallTimeoutMs <= config.recorder.rtspTimeoutMs / 2) {
    problems.push({
      key: at('recorder.stall_timeout'),
      message: 'must be longer than half of recorder.rtsp_timeout, or the watchdog fires before ffmpeg can notice a dead camera',
    });
  }
}

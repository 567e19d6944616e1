// A [[cameras]] table with source_type = "redis_stream": frames come as entries of a Redis stream
// (a `jpeg` field, an optional `meta` JSON field), read with a consumer group. The url names the
// Redis server (its password is a secret like a camera's), `stream` the key.
import type { ConfigProblem } from '../errors.ts';
import { maskUrl, rawUserinfo } from '../redact.ts';
import { parseUrl } from './camera-url.ts';
import type { CameraConfig } from './schema.ts';

export const REDIS_KEYS = ['stream', 'group', 'consumer', 'password_env'] as const;
export const DEFAULT_GROUP = 'camera-recorder';

type At = (key: string) => string;

export function checkRedisSource(
  entry: Record<string, unknown>,
  at: At,
  env: Record<string, string | undefined>,
  problems: ConfigProblem[],
): Pick<CameraConfig, 'url' | 'sourceType' | 'redis'> | undefined {
  const before = problems.length;
  if (entry.path !== undefined) {
    problems.push({ key: at('path'), message: 'path is for source_type = "file"; a redis_stream camera takes url and stream' });
  }
  const written = checkRedisUrl(entry.url, at('url'), problems);
  const url = written === undefined ? undefined : withPasswordFrom(written, entry.password_env, at('password_env'), env, problems);
  const stream = checkName(entry.stream, at('stream'), problems, 'the key of the Redis stream the frames are added to, e.g. stream = "frames:front-door"');
  const group = checkName(entry.group, at('group'), problems) ?? DEFAULT_GROUP;
  // The camera id as default: stable across restarts and pod names, so a restarted recorder finds
  // the entries it had read but not acknowledged (only one recorder records a camera).
  const consumer = checkName(entry.consumer, at('consumer'), problems) ?? (typeof entry.id === 'string' ? entry.id : '');
  if (url === undefined || stream === undefined || problems.length > before) return undefined;
  return { url, sourceType: 'redis_stream', redis: { stream, group, consumer } };
}

/** Refuses the redis_stream keys on a camera of another type. */
export function refuseRedisKeys(entry: Record<string, unknown>, sourceType: string, at: At, problems: ConfigProblem[]): boolean {
  const given = REDIS_KEYS.filter((k) => entry[k] !== undefined);
  for (const k of given) problems.push({ key: at(k), message: `${k} is for source_type = "redis_stream"; remove it from this ${sourceType} camera` });
  return given.length === 0;
}

function checkRedisUrl(value: unknown, at: string, problems: ConfigProblem[]): string | undefined {
  const url = parseUrl(value, at, problems, {
    missing: 'set the Redis server\'s URL, e.g. "redis://user:password@192.0.2.20:6379/0" (rediss:// for TLS)',
    expected: 'redis://[user:password@]host[:port][/db]',
  });
  if (url === undefined || typeof value !== 'string') return undefined;
  const shown = `"${maskUrl(value)}"`;
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    problems.push({ key: at, message: `scheme "${url.protocol}" is not a Redis URL; a redis_stream camera takes redis:// or rediss:// (TLS)` });
    return undefined;
  }
  if (url.hostname === '') {
    problems.push({ key: at, message: `${shown} has no host; expected redis://host[:port][/db]` });
    return undefined;
  }
  if (!/^(\/\d*)?$/.test(url.pathname) || url.search !== '' || url.hash !== '') {
    problems.push({
      key: at,
      message: `${shown} has more than a database number after the host; expected redis://host[:port][/db], e.g. /0 (if "/", "?" or "#" is part of the password, percent-encode it)`,
    });
    return undefined;
  }
  return value;
}

/**
 * The url with the password from the environment variable `password_env` names, so that the
 * password can live in a Secret while the rest of the camera stays in the config file.
 */
function withPasswordFrom(url: string, name: unknown, at: string, env: Record<string, string | undefined>, problems: ConfigProblem[]): string | undefined {
  if (name === undefined) return url;
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    problems.push({ key: at, message: `${JSON.stringify(name)} is not an environment variable name; e.g. password_env = "TILL3_REDIS_PASSWORD"` });
    return undefined;
  }
  const password = env[name];
  if (password === undefined || password === '') {
    problems.push({ key: at, message: `environment variable ${name} is not set; set it to the Redis password (e.g. from the Secret), or remove password_env` });
    return undefined;
  }
  const user = rawUserinfo(url);
  if (user?.password !== undefined) {
    problems.push({ key: at, message: `the url has a password too; remove it from the url (the one in ${name} is used)` });
    return undefined;
  }
  return url.replace(/^(rediss?:\/\/)(?:[^@/?#]*@)?/i, `$1${user?.user ?? ''}:${encodeURIComponent(password)}@`);
}

/** A key or group or consumer name: any non-empty string without control characters (a stray newline is a typo). */
function checkName(value: unknown, at: string, problems: ConfigProblem[], required?: string): string | undefined {
  if (value === undefined && required === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || /\p{Cc}/u.test(value)) {
    const what = value === undefined ? 'missing' : `${JSON.stringify(value)} is not a name`;
    problems.push({ key: at, message: `${what}: ${required ?? 'give a non-empty string without control characters'}` });
    return undefined;
  }
  return value;
}

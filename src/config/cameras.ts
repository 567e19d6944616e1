// The cameras of a configuration: [[cameras]] tables from the file and CAMERA<N>_RTSP_URL from the
// environment (which defines camera-<N>, or overrides the URL of a file camera with that id).
// Each camera carries where it is defined: the API refuses to change it and says where to.
// A `file` camera plays a local video in a loop; it exists only here, never over the API.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ConfigProblem } from '../errors.ts';
import { checkUrl } from './camera-url.ts';
import { checkAnalysis } from '../frames/vision-settings.ts';
import { checkLabels } from './labels.ts';
import { checkRedisSource, refuseRedisKeys } from './redis-camera.ts';
import { pushTokenProblem } from './push-token.ts';
import { CAMERA_ENV, CAMERA_ID, CAMERA_KEYS, CONFIG_SOURCE_TYPES, type CameraConfig } from './schema.ts';
import { closest } from './suggest.ts';
import { isTable } from './table.ts';

export type Env = Record<string, string | undefined>;

export function collectCameras(value: unknown, file: string, env: Env, problems: ConfigProblem[], required: boolean): CameraConfig[] {
  const cameras: CameraConfig[] = [];
  const where = new Map<string, string>();
  const add = (cam: CameraConfig, at: string): void => {
    const previous = where.get(cam.id);
    if (previous !== undefined) {
      problems.push({ key: at, message: `duplicate camera id "${cam.id}" (also at ${previous}); every camera needs its own id` });
      return;
    }
    where.set(cam.id, at);
    cameras.push(cam);
  };
  if (value !== undefined && !Array.isArray(value)) {
    problems.push({ key: `cameras (${file})`, message: 'must be an array of tables: write [[cameras]] once per camera' });
  }
  for (const [i, entry] of (Array.isArray(value) ? value : []).entries()) {
    const at = `cameras[${i}] (${file})`;
    if (!isTable(entry)) {
      problems.push({ key: at, message: 'must be a table with id and url' });
      continue;
    }
    for (const k of Object.keys(entry)) {
      if (!(CAMERA_KEYS as readonly string[]).includes(k)) {
        const hint = closest(k, CAMERA_KEYS);
        problems.push({
          key: `cameras[${i}].${k} (${file})`,
          message: `unknown key${hint ? `; did you mean "${hint}"?` : `; a camera has ${CAMERA_KEYS.join(', ')}`}`,
        });
      }
    }
    const id = checkId(entry.id, `cameras[${i}].id (${file})`, problems);
    const source = checkSource(entry, i, file, env, problems);
    const labels = checkLabels(entry.labels, `cameras[${i}].labels (${file})`, problems);
    const analysis = checkAnalysis(entry.analysis, `cameras[${i}].analysis (${file})`, problems);
    if (id !== undefined && source !== undefined && labels !== undefined)
      add({ id, ...source, labels, definedIn: `${file} cameras[${i}]`, ...(analysis && { analysis }) }, at);
  }
  const fromEnv = Object.keys(env)
    .map((name) => ({ name, m: CAMERA_ENV.exec(name) }))
    .filter((e): e is { name: string; m: RegExpExecArray } => e.m !== null && (env[e.name] ?? '') !== '')
    .sort((a, b) => Number(a.m[1]) - Number(b.m[1]));
  for (const { name, m } of fromEnv) {
    const n = Number(m[1]);
    if (n < 1) {
      problems.push({ key: `${name} (environment)`, message: 'camera numbers start at 1: use CAMERA1_RTSP_URL, CAMERA2_RTSP_URL, ...' });
      continue;
    }
    const url = checkUrl(env[name], `${name} (environment)`, problems);
    if (url === undefined) continue;
    const id = `camera-${n}`;
    const existing = cameras.find((c) => c.id === id);
    const sourceType = url.startsWith('synthetic:') ? 'synthetic' : 'rtsp';
    if (existing)
      Object.assign(existing, { url, sourceType, definedIn: `${existing.definedIn}, URL from environment ${name}` }); // the environment wins over the file
    else add({ id, url, labels: {}, sourceType, definedIn: `environment ${name}` }, `${name} (environment)`);
  }
  const noneGiven = (value === undefined || (Array.isArray(value) && value.length === 0)) && fromEnv.length === 0;
  if (required && noneGiven) {
    problems.push({ key: 'cameras', message: 'no camera configured: add a [[cameras]] table with id and url, or set CAMERA1_RTSP_URL' });
  }
  return cameras;
}

function checkId(value: unknown, at: string, problems: ConfigProblem[]): string | undefined {
  if (typeof value !== 'string' || value === '') {
    problems.push({ key: at, message: 'missing: every camera needs an id such as "front-door"' });
    return undefined;
  }
  if (!CAMERA_ID.test(value)) {
    problems.push({
      key: at,
      message: `"${value}" is not a valid camera id: use 1-63 lowercase letters, digits and "-", not starting or ending with "-" (it becomes a directory and an object key)`,
    });
    return undefined;
  }
  return value;
}

type Source = Pick<CameraConfig, 'url' | 'sourceType' | 'redis' | 'pushToken'>;

function checkSource(entry: Record<string, unknown>, i: number, file: string, env: Env, problems: ConfigProblem[]): Source | undefined {
  const at = (key: string): string => `cameras[${i}].${key} (${file})`;
  const type = entry.source_type ?? (typeof entry.url === 'string' && entry.url.startsWith('synthetic:') ? 'synthetic' : 'rtsp');
  if (!(CONFIG_SOURCE_TYPES as readonly unknown[]).includes(type)) {
    problems.push({
      key: at('source_type'),
      message: `${JSON.stringify(type)} is not a source type: use ${CONFIG_SOURCE_TYPES.map((t) => `"${t}"`).join(', ')}`,
    });
    return undefined;
  }
  const sourceType = type as Source['sourceType'];
  if (entry.push_token !== undefined && sourceType !== 'http_push') {
    problems.push({ key: at('push_token'), message: `push_token is for source_type = "http_push"; a ${sourceType} camera has no pictures pushed to it` });
    return undefined;
  }
  if (sourceType === 'redis_stream') return checkRedisSource(entry, at, env, problems);
  if (!refuseRedisKeys(entry, sourceType, at, problems)) return undefined;
  if (sourceType === 'http_push') return checkPushSource(entry, at, problems);
  if (sourceType === 'file') {
    if (entry.url !== undefined) problems.push({ key: at('url'), message: 'a camera with source_type = "file" takes a path, not a url: remove url' });
    const path = checkVideoFile(entry.path, at('path'), file, problems);
    return path === undefined || entry.url !== undefined ? undefined : { url: `file:${path}`, sourceType };
  }
  if (entry.path !== undefined) {
    problems.push({ key: at('path'), message: `path is for source_type = "file"; a ${sourceType} camera takes a url` });
    return undefined;
  }
  const url = checkUrl(entry.url, at('url'), problems);
  if (url === undefined) return undefined;
  if ((sourceType === 'synthetic') !== url.startsWith('synthetic:')) {
    problems.push({
      key: at('source_type'),
      message: `source_type = "${sourceType}" does not match the url's scheme: rtsp cameras take rtsp:// or rtsps://, synthetic ones synthetic:`,
    });
    return undefined;
  }
  return { url, sourceType };
}

/** An http_push camera: pictures come to POST /api/ingest/push/{id}; no url or path, maybe its own token. */
function checkPushSource(entry: Record<string, unknown>, at: (key: string) => string, problems: ConfigProblem[]): Source | undefined {
  for (const key of ['url', 'path'] as const) {
    if (entry[key] !== undefined) {
      problems.push({
        key: at(key),
        message: `a camera with source_type = "http_push" has no ${key}: its pictures are POSTed to /api/ingest/push/<id>; remove ${key}`,
      });
      return undefined;
    }
  }
  if (entry.push_token === undefined) return { url: '', sourceType: 'http_push' };
  const why = pushTokenProblem(entry.push_token);
  if (why !== undefined) {
    problems.push({ key: at('push_token'), message: why });
    return undefined;
  }
  return { url: '', sourceType: 'http_push', pushToken: entry.push_token as string };
}

/** The absolute path of a readable video file; a relative path is taken from the config file's folder. */
function checkVideoFile(value: unknown, at: string, file: string, problems: ConfigProblem[]): string | undefined {
  if (typeof value !== 'string' || value === '') {
    problems.push({ key: at, message: 'missing: a file camera needs the path of a video file, e.g. path = "/videos/checkout.mp4"' });
    return undefined;
  }
  const path = resolve(dirname(resolve(file)), value);
  try {
    if (!statSync(path).isFile()) {
      problems.push({
        key: at,
        message: `${path} is not a file; give the path of a video file (MP4, MKV, … with H.264 or H.265 video: it is copied, not re-encoded)`,
      });
      return undefined;
    }
    accessSync(path, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
    problems.push({
      key: at,
      message: `${path} ${why}; check the path (relative paths start at the config file's folder) and that the service's user may read it`,
    });
    return undefined;
  }
  return path;
}

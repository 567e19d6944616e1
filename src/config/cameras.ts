// The cameras of a configuration: [[cameras]] tables from the file and CAMERA<N>_RTSP_URL from the
// environment (which defines camera-<N>, or overrides the URL of a file camera with that id).
import type { ConfigProblem } from '../errors.ts';
import { checkUrl } from './camera-url.ts';
import { checkLabels } from './labels.ts';
import { CAMERA_ENV, CAMERA_ID, CAMERA_KEYS, type CameraConfig } from './schema.ts';
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
        problems.push({ key: `cameras[${i}].${k} (${file})`, message: `unknown key${hint ? `; did you mean "${hint}"?` : `; a camera has ${CAMERA_KEYS.join(', ')}`}` });
      }
    }
    const id = checkId(entry.id, `cameras[${i}].id (${file})`, problems);
    const url = checkUrl(entry.url, `cameras[${i}].url (${file})`, problems);
    const labels = checkLabels(entry.labels, `cameras[${i}].labels (${file})`, problems);
    if (id !== undefined && url !== undefined && labels !== undefined) add({ id, url, labels }, at);
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
    if (existing) existing.url = url; // the environment wins over the file
    else add({ id, url, labels: {} }, `${name} (environment)`);
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
    problems.push({ key: at, message: `"${value}" is not a valid camera id: use 1-63 lowercase letters, digits and "-", not starting or ending with "-" (it becomes a directory and an object key)` });
    return undefined;
  }
  return value;
}

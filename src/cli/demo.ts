// `camera-recorder demo`: two synthetic cameras, a directory as the store, and the API on, so a
// first-time user can add a camera with curl. The API token is a secret like any other: it is kept
// in a file of the demo folder (mode 0600) and never printed.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Env } from '../config/load.ts';
import type { Config } from '../config/schema.ts';

export const DEMO_TOKEN_FILE = 'api-token';

export function demoEnv(dir: string, port: string | undefined, env: Env): Env {
  return {
    ...env,
    STORAGE: 'filesystem',
    FILESYSTEM_ROOT: resolve(dir, 'bucket'),
    TEMP_DIR: resolve(dir, 'spool'),
    SEGMENT_DURATION: '10s',
    METRICS_PORT: port ?? env.METRICS_PORT ?? '9090',
    CAMERA1_RTSP_URL: 'synthetic:?size=640x360&fps=15',
    CAMERA2_RTSP_URL: 'synthetic:?size=640x360&fps=15',
    ANALYSIS_ENABLED: 'true', // snapshots, picture health and motion of the demo's cameras
    API_ALLOW_SYNTHETIC_CAMERAS: 'true', // the demo has no RTSP camera: more cameras over the API are synthetic ones
    API_TOKEN: env.API_TOKEN || demoToken(dir),
  };
}

/** The token of an earlier demo in this folder, or a new one written there. */
function demoToken(dir: string): string {
  const path = join(dir, DEMO_TOKEN_FILE);
  try {
    const token = readFileSync(path, 'utf8').trim();
    if (token !== '') return token;
  } catch {
    /* first run in this folder */
  }
  mkdirSync(dir, { recursive: true });
  const token = randomBytes(24).toString('hex');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return token;
}

export function demoBanner(config: Config, dir: string, port: number, tokenFromEnv: boolean): string {
  const base = `http://127.0.0.1:${port}`;
  const bearer = tokenFromEnv ? '$API_TOKEN' : `$(cat ${join(dir, DEMO_TOKEN_FILE)})`;
  return [
    '',
    `camera-recorder demo: recording 2 synthetic cameras (camera-1, camera-2) into ${config.segmentDurationMs / 1000} s segments.`,
    `  stored segments: ${config.filesystem.root}/<camera>/<YYYYMMDD>/<HHMMSS>_<camera>.mp4`,
    `  being recorded:  ${config.tempDir}`,
    `  health, metrics: ${base}/health  /ready  /metrics`,
    `  the API:         ${base}/docs (token: ${tokenFromEnv ? 'your API_TOKEN' : `in ${join(dir, DEMO_TOKEN_FILE)}`})`,
    '  add a camera:',
    `    curl -H "Authorization: Bearer ${bearer}" -H 'Content-Type: application/json' ${base}/api/cameras \\`,
    `      -d '{"id":"camera-3","source_type":"synthetic","source_url":"synthetic:?size=640x360&fps=15"}'`,
    '  what camera-1 shows now, and what the recorder sees in it:',
    `    curl -H "Authorization: Bearer ${bearer}" -o camera-1.jpg ${base}/api/cameras/camera-1/snapshot.jpg`,
    `    curl -H "Authorization: Bearer ${bearer}" ${base}/api/cameras/camera-1`,
    '  stop with Ctrl-C (the last segments are finalized and stored first)',
    '',
    '',
  ].join('\n');
}

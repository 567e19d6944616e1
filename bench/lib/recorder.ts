// The real service (dist/main.js) as a child process, through the end-to-end tests' RecorderProcess.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/ports.ts';
import { RecorderProcess, type LogLine } from '../../test/support/recorder-process.ts';
import { onCleanup } from './cleanup.ts';
import { cmdline, killTree } from './proc.ts';
import type { Store } from './servers.ts';

export interface RecorderRun {
  proc: RecorderProcess;
  pid: number;
  tempDir: string;
  bucket: string;
  /** SIGTERM (ffmpeg finalizes, uploads drain for SHUTDOWN_GRACE), wait; SIGKILL the tree after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Removes the temp dir (after stop). */
  dispose(): Promise<void>;
}

let runNo = 0;

export interface RecorderOptions {
  store: Store;
  /** RTSP URLs, camera-1 … camera-N. */
  cameras: string[];
  segmentSeconds: number;
  env?: Record<string, string>;
  tempDir?: string;
  /** Write a V8 CPU profile of the recorder (node --cpu-prof) into this directory at exit. */
  profileDir?: string;
}

export async function startRecorder(opts: RecorderOptions): Promise<RecorderRun> {
  const tempDir = opts.tempDir ?? mkdtempSync(join(tmpdir(), 'camrec-bench-'));
  const bucket = `bench-${process.pid}-${++runNo}`;
  const env: Record<string, string> = {
    S3_ENDPOINT: opts.store.server.endpoint,
    S3_ACCESS_KEY_ID: opts.store.server.accessKeyId,
    S3_SECRET_ACCESS_KEY: opts.store.server.secretAccessKey,
    S3_BUCKET: bucket,
    TEMP_DIR: tempDir,
    SEGMENT_DURATION: `${opts.segmentSeconds}s`,
    LOG_LEVEL: 'info',
    ...(opts.profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${opts.profileDir}` } : {}),
    ...opts.env,
  };
  for (const [i, url] of opts.cameras.entries()) env[`CAMERA${i + 1}_RTSP_URL`] = url;
  const proc = new RecorderProcess(env, await freePort());
  const pid = proc.child.pid;
  if (pid === undefined) throw new Error('recorder did not start');
  const alive = (): boolean => proc.child.exitCode === null && proc.child.signalCode === null;
  const kill = onCleanup(`recorder ${pid}`, () => {
    if (alive()) killTree(pid); // collects the ffmpeg children before they can be orphaned
    killOrphans(tempDir);
  });
  return {
    proc,
    pid,
    tempDir,
    bucket,
    stop: async (timeoutMs = 60_000) => {
      const timer = setTimeout(() => {
        if (alive()) killTree(pid);
      }, timeoutMs);
      try {
        if (alive()) proc.child.kill('SIGTERM');
        return await proc.exited;
      } finally {
        clearTimeout(timer);
        await kill();
      }
    },
    dispose: () => rm(tempDir, { recursive: true, force: true }),
  };
}

export const isLog =
  (msg: string, camera?: string) =>
  (l: LogLine): boolean =>
    l.msg === msg && (camera === undefined || l.camera === camera);

/** Waits until `n` distinct cameras logged "stream connected". */
export async function waitConnected(run: RecorderRun, n: number, timeoutMs: number): Promise<void> {
  await run.proc.waitForLog(() => new Set(run.proc.logs.filter(isLog('stream connected')).map((l) => l.camera)).size >= n, timeoutMs, `${n} cameras connected`);
}

/** A log line's time (pino isoTime) in ms since the epoch. */
export const logTime = (l: LogLine): number => Date.parse(String(l.time));

/** SIGKILLs ffmpeg processes still writing into `tempDir` (found through the recorder's .ffmpeg.pid files). */
export function killOrphans(tempDir: string): void {
  let cameras: string[];
  try {
    cameras = readdirSync(tempDir);
  } catch {
    return;
  }
  for (const camera of cameras) {
    let pid: number;
    try {
      pid = Number(readFileSync(join(tempDir, camera, '.ffmpeg.pid'), 'utf8').trim());
    } catch {
      continue;
    }
    if (Number.isInteger(pid) && pid > 1 && cmdline(pid).includes(tempDir)) killTree(pid);
  }
}

/** Writes the recorder's stdout lines (JSON logs) and stderr to `path`, for looking into a run afterwards. */
export function saveLogs(run: RecorderRun, path: string): void {
  writeFileSync(path, `${run.proc.raw.join('\n')}\n${run.proc.stderr ? `--- stderr ---\n${run.proc.stderr}\n` : ''}`);
}

/** ffmpeg ended and is restarted (it exited, or could not be started: camera unreachable, probe failed). */
export const isRestart = (l: LogLine): boolean => /^ffmpeg (exited|not started)|camera unreachable/.test(l.msg);
/** The watchdog restarted a stalled ffmpeg. */
export const isStall = (l: LogLine): boolean => l.msg.startsWith('no progress from ffmpeg');
/** Footage lost or set aside. */
export const isLoss = (l: LogLine): boolean => /^segment (dropped|quarantined)/.test(l.msg);

// Synthetic RTSP cameras for end-to-end tests: runs test/support/rtsp-camera.py (GStreamer
// gst-rtsp-server, system python) on 127.0.0.1 and waits until the first mount really serves.
// setPicture() switches what a mount shows (black, snow, a moving ball, ...) while its clients stay
// connected and its stream flows on: a command on the camera's stdin (see rtsp-camera.py).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { exited, waitExit } from './child-exit.ts';
import { freePort } from './ports.ts';

export type AudioKind = 'aac' | 'alaw' | 'none';

/** What a mount can show; test/support/camera_pictures.py draws each. A server starts with `normal`. */
export const PICTURES = ['normal', 'black', 'solid', 'snow', 'ball', 'static', 'smpte', 'blur', 'scene2'] as const;
export type Picture = (typeof PICTURES)[number];

export interface RtspServerOptions {
  /** mount path -> audio of that camera, e.g. { '/cam1': 'aac', '/cam2': 'alaw' }. Leading '/' optional. */
  mounts: Record<string, AudioKind>;
  /** default: a free port */
  port?: number;
  /** WxH, default 640x360 */
  size?: string;
  /** default 15; H.264 key frame every 2*fps frames */
  fps?: number;
  /** H.264 bitrate, default 800 */
  kbps?: number;
  /**
   * Default false: one pipeline (one H.264 encoder) per mount. true: all mounts with the same audio
   * kind relay one pipeline, so N cameras cost a few encoders instead of N (benchmarks).
   */
  sharedSource?: boolean;
  /** A new client drops every client before it, like cameras that serve one at a time. */
  oneClient?: boolean;
}

export interface RtspServer {
  port: number;
  /** rtsp://127.0.0.1:PORT/mount */
  url(mount: string): string;
  /** SIGTERM, wait for the exit (SIGKILL after 5 s). No-op when not running. */
  stop(): Promise<void>;
  /** SIGKILL, wait for the exit. No-op when not running. */
  kill(): Promise<void>;
  /** Start again on the same port (after stop/kill) and wait until it serves. No-op when running. */
  start(): Promise<void>;
  /** SIGSTOP: a camera that hangs. Its connections stay open and nothing more is sent. */
  freeze(): void;
  /** SIGCONT: sends again after freeze(). */
  thaw(): void;
  /**
   * Show `picture` on `mount` from now on, without interrupting its clients or its stream (same
   * caps, continuous timestamps). Resolves once a frame of it has left the camera (at once when no
   * client is connected: the next one gets it). A restarted server shows `normal` again.
   * Not with sharedSource: all mounts relay one encoding, so this rejects.
   */
  setPicture(mount: string, picture: Picture): Promise<void>;
}

const PYTHON = '/usr/bin/python3'; // python3-gi is only visible to the system python
const SCRIPT = join(import.meta.dirname, 'rtsp-camera.py');
const SERVING_TIMEOUT_MS = 15_000;
const LOG_LIMIT = 64 * 1024;
const PICTURE_TIMEOUT_MS = 15_000;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackForExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // If a test forgets to stop its server, or crashes, don't leave cameras running.
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

function normalizeMount(mount: string): string {
  return mount.startsWith('/') ? mount : `/${mount}`;
}

/** ffprobe over RTSP/TCP: resolves with stdout+stderr, rejects with the output in the message. */
function ffprobe(url: string): Promise<string> {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  const args = ['-v', 'error', '-analyzeduration', '500000', '-rtsp_transport', 'tcp', '-timeout', '5000000',
    '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', url];
  return new Promise((resolve, reject) => {
    execFile('ffprobe', args, { timeout: 20_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ffprobe ${url} failed: ${err.message.trim()}\n${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

export async function startRtspServer(opts: RtspServerOptions): Promise<RtspServer> {
  const entries = Object.entries(opts.mounts).map(([m, a]) => [normalizeMount(m), a] as const);
  const first = entries[0];
  if (first === undefined) throw new Error('startRtspServer: at least one mount is needed');
  for (const [m, a] of entries) {
    if (!/^\/[\w./-]+$/.test(m)) throw new Error(`startRtspServer: bad mount path ${JSON.stringify(m)}`);
    if (a !== 'aac' && a !== 'alaw' && a !== 'none') throw new Error(`startRtspServer: bad audio ${String(a)} for ${m}`);
  }
  const size = opts.size ?? '640x360';
  const fps = opts.fps ?? 15;
  const kbps = opts.kbps ?? 800;
  if (!/^\d+x\d+$/.test(size)) throw new Error(`startRtspServer: bad size ${size}`);
  const port = opts.port ?? (await freePort());
  const url = (mount: string): string => `rtsp://127.0.0.1:${port}${normalizeMount(mount)}`;
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  const args = ['-u', SCRIPT, '--exit-on-eof', ...(opts.sharedSource ? ['--shared-source'] : []), ...(opts.oneClient ? ['--one-client'] : []), String(port), entries.map(([m, a]) => `${m}=${a}`).join(','),
    size, String(Math.trunc(fps)), String(Math.trunc(kbps))];

  let child: ChildProcess | undefined;
  let log = '';
  let starting: Promise<void> | undefined;
  let lastCommand = 0;
  // command id -> settles setPicture(); answered by "picture ID ok|error WHY" lines on stdout
  const answers = new Map<string, (error: string | undefined) => void>();
  const onLine = (line: string): void => {
    const m = /^picture (\d+) (ok|error (.*))$/.exec(line);
    if (m?.[1] !== undefined) answers.get(m[1])?.(m[2] === 'ok' ? undefined : m[3]);
  };

  const launch = async (): Promise<void> => {
    log = '';
    // stdin is a pipe that only carries setPicture() commands: when this process dies, the camera sees EOF and exits.
    const proc = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    proc.stdin?.on('error', () => undefined);
    child = proc;
    trackForExit(proc);
    const append = (chunk: Buffer): void => {
      log += chunk.toString('utf8');
      if (log.length > LOG_LIMIT) log = log.slice(-LOG_LIMIT);
    };
    proc.stdout?.on('data', append);
    proc.stderr?.on('data', append);
    let partial = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
    proc.once('exit', () => {
      for (const settle of answers.values()) settle('the camera server exited');
    });
    const fail = async (why: string): Promise<never> => {
      if (proc.pid !== undefined && !exited(proc)) {
        proc.kill('SIGKILL');
        await waitExit(proc, 5_000);
      }
      throw new Error(`RTSP camera server on 127.0.0.1:${port} ${why}\n--- server log ---\n${log.trim()}`);
    };

    // 1. the "serving" line: it is listening
    const status = await new Promise<'serving' | 'exit' | 'error' | 'timeout'>((resolve) => {
      let buffered = '';
      const onData = (chunk: Buffer): void => {
        buffered += chunk.toString('utf8');
        if (/^serving /m.test(buffered)) done('serving');
      };
      const onExit = (): void => done('exit');
      const onError = (): void => done('error');
      const timer = setTimeout(() => done('timeout'), SERVING_TIMEOUT_MS);
      const done = (s: 'serving' | 'exit' | 'error' | 'timeout'): void => {
        clearTimeout(timer);
        proc.stdout?.off('data', onData);
        proc.off('exit', onExit);
        proc.off('error', onError);
        resolve(s);
      };
      proc.stdout?.on('data', onData);
      proc.once('exit', onExit);
      proc.once('error', (err) => {
        append(Buffer.from(`spawn error: ${err.message}\n`));
        onError();
      });
    });
    if (status === 'exit') await fail(`exited (code ${proc.exitCode}, signal ${proc.signalCode}) before serving`);
    if (status === 'error') await fail('could not be spawned');
    if (status === 'timeout') await fail(`printed no "serving" line within ${SERVING_TIMEOUT_MS} ms`);

    // 2. a real client gets the streams of the first mount over RTSP/TCP (3 tries: the machine may be busy)
    for (let attempt = 1; ; attempt++) {
      try {
        await ffprobe(url(first[0]));
        break;
      } catch (err) {
        const msg = (err as Error).message;
        if (exited(proc)) await fail(`died during the first ffprobe: ${msg}`);
        if (attempt >= 3) await fail(`does not serve: ${msg}`);
        log += `[harness] ffprobe attempt ${attempt} failed: ${msg}\n`;
      }
    }
    if (exited(proc)) await fail('exited right after serving');
  };

  const terminate = async (signal: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    const proc = child;
    if (proc === undefined || exited(proc)) return;
    proc.kill(signal);
    if (await waitExit(proc, 5_000)) return;
    proc.kill('SIGKILL');
    if (!(await waitExit(proc, 5_000))) throw new Error(`RTSP camera server pid ${proc.pid} did not exit`);
  };

  const setPicture = (mount: string, picture: Picture): Promise<void> => {
    const where = `setPicture(${JSON.stringify(mount)}, ${JSON.stringify(picture)}) on 127.0.0.1:${port}`;
    if (opts.sharedSource) return Promise.reject(new Error(`${where}: not with sharedSource (one encoding for all mounts)`));
    if (!PICTURES.includes(picture)) return Promise.reject(new Error(`${where}: unknown picture (one of ${PICTURES.join(' ')})`));
    const proc = child;
    if (proc?.stdin == null || exited(proc)) return Promise.reject(new Error(`${where}: the server is not running`));
    const id = String(++lastCommand);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => answers.get(id)?.(`no frame of it left the camera within ${PICTURE_TIMEOUT_MS} ms (frozen? client paused?)`),
        PICTURE_TIMEOUT_MS,
      );
      answers.set(id, (error) => {
        clearTimeout(timer);
        answers.delete(id);
        if (error === undefined) resolve();
        else reject(new Error(`${where}: ${error}`));
      });
      proc.stdin?.write(`picture ${id} ${normalizeMount(mount)} ${picture}\n`);
    });
  };

  await launch();
  return {
    setPicture,
    port,
    url,
    stop: () => terminate('SIGTERM'),
    kill: () => terminate('SIGKILL'),
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    start: async () => {
      if (starting) return await starting;
      if (child !== undefined && !exited(child)) return;
      starting = launch().finally(() => {
        starting = undefined;
      });
      await starting;
    },
  };
}

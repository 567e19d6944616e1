// A real S3-compatible store for end-to-end tests: a throwaway Ceph cluster (ceph-mon, memstore
// ceph-osd, radosgw) started by test/support/ceph-rgw.sh on 127.0.0.1. The script stays running
// as the daemons' parent (--supervise) and takes commands on its stdin; if this process dies the
// script sees end of input and tears the cluster down.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { exited, waitExit } from './child-exit.ts';
import { freePort } from './ports.ts';

export interface S3ServerOptions {
  /** S3 endpoint port; default: a free port */
  port?: number;
  /** memstore capacity in bytes (objects live in RAM); default: ceph-rgw.sh's default, 2 GiB */
  memstoreBytes?: number;
}

export interface S3Server {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  region: 'us-east-1';
  /** The cluster's state directory: DIR/ceph.conf for the ceph CLI, DIR/log/ for the daemons' logs. */
  dir: string;
  accessKeyId: string;
  secretAccessKey: string;
  /**
   * Stop radosgw only and wait for it to exit (SIGTERM, ~0.1-0.2 s; SIGKILL after 15 s): the store is
   * down (connections refused), the data stays in the OSD.
   */
  stopGateway(): Promise<void>;
  /** Start radosgw again on the same port and wait until it answers HTTP. No-op when it runs. */
  startGateway(): Promise<void>;
  /** radosgw, then the OSD, then the monitor (SIGKILL, each reaped), then remove the state dir. Idempotent. */
  stop(): Promise<void>;
}

const SCRIPT = join(import.meta.dirname, 'ceph-rgw.sh');
const START_TIMEOUT_MS = 120_000;
const COMMAND_TIMEOUT_MS = 100_000;
const LOG_LIMIT = 64 * 1024;

interface Cluster {
  script: ChildProcess;
  pids: { mon?: number; osd?: number; rgw?: number };
  dir: string;
}
const clusters = new Set<Cluster>();
let exitHookInstalled = false;
function trackForExit(c: Cluster): void {
  clusters.add(c);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Belt and braces: the script also tears down on end of stdin. Synchronous, as 'exit' requires.
  process.once('exit', () => {
    for (const cl of clusters) {
      for (const pid of [cl.pids.rgw, cl.pids.osd, cl.pids.mon]) {
        if (pid !== undefined) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      cl.script.kill('SIGKILL');
      rmSync(cl.dir, { recursive: true, force: true });
    }
  });
}

/** Is the process gone (or a zombie nobody reaped yet)? */
function pidGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Waits until GET / answers with any HTTP status below 500. */
async function waitHttp(endpoint: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status < 500) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = String((err as Error & { cause?: unknown }).cause ?? err);
    }
    await sleep(100);
  }
  throw new Error(`S3 gateway ${endpoint} did not answer within ${timeoutMs} ms (last: ${last})`);
}

export async function startS3Server(opts: S3ServerOptions = {}): Promise<S3Server> {
  const port = opts.port ?? (await freePort());
  let monPort = await freePort();
  while (monPort === port) monPort = await freePort();
  // OSD messenger ports: a random 100-port window below the ephemeral range (32768+), so they
  // never meet freePort() results; the OSD skips ports that are already taken anyway.
  const bindMin = 20_000 + 100 * randomInt(0, 120);
  const accessKeyId = `CR${randomBytes(9).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(20).toString('hex');
  const endpoint = `http://127.0.0.1:${port}`;
  const dir = await mkdtemp(join(tmpdir(), 'camrec-s3-'));

  const script = spawn(
    'bash',
    [
      SCRIPT,
      '--dir',
      dir,
      '--port',
      String(port),
      '--mon-port',
      String(monPort),
      '--bind-ports',
      `${bindMin}-${bindMin + 99}`,
      '--access-key',
      accessKeyId,
      '--secret-key',
      secretAccessKey,
      ...(opts.memstoreBytes === undefined ? [] : ['--memstore-bytes', String(Math.trunc(opts.memstoreBytes))]),
      '--supervise',
      '--cleanup',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const cluster: Cluster = { script, pids: {}, dir };
  trackForExit(cluster);

  let log = '';
  const append = (s: string): void => {
    log += s;
    if (log.length > LOG_LIMIT) log = log.slice(-LOG_LIMIT);
  };
  script.stderr?.on('data', (b: Buffer) => append(b.toString('utf8')));
  script.stdin?.on('error', () => undefined); // EPIPE once the script is gone
  script.on('error', (err) => append(`spawn error: ${err.message}\n`));

  // Lines from the script's stdout, delivered to whoever waits for them.
  const waiters = new Set<(line: string | null) => void>();
  const lines = createInterface({ input: script.stdout! });
  lines.on('line', (line) => {
    append(`${line}\n`);
    const m = /^(MON|OSD|RGW)_PID=(\d+)$/.exec(line);
    if (m) cluster.pids[m[1]!.toLowerCase() as 'mon' | 'osd' | 'rgw'] = Number(m[2]);
    if (line === 'gateway-stopped') delete cluster.pids.rgw;
    for (const w of [...waiters]) w(line);
  });
  script.once('exit', () => {
    for (const w of [...waiters]) w(null);
  });

  /** Resolves when a line matching `ok` arrives; rejects on "error: ..." lines, script exit or timeout. */
  const expectLine = (ok: (line: string) => boolean, what: string, timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        waiters.delete(waiter);
        if (err) reject(err);
        else resolve();
      };
      const waiter = (line: string | null): void => {
        if (line === null) {
          finish(new Error(`ceph-rgw.sh exited (code ${script.exitCode}, signal ${script.signalCode}) while ${what}\n--- log ---\n${log.trim()}`));
        } else if (ok(line)) {
          finish();
        } else if (line.startsWith('error:')) {
          finish(new Error(`ceph-rgw.sh: ${line} while ${what}\n--- log ---\n${log.trim()}`));
        }
      };
      const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms while ${what}\n--- log ---\n${log.trim()}`)), timeoutMs);
      if (exited(script)) {
        waiter(null);
        return;
      }
      waiters.add(waiter);
    });

  let stopped = false;
  let stopping: Promise<void> | undefined;
  let ready = false;
  const stop = (): Promise<void> => (stopping ??= teardown());
  const teardown = async (): Promise<void> => {
    stopped = true;
    if (!exited(script)) {
      // Once READY the script reads commands; before that it only reacts to signals.
      if (ready) script.stdin?.end('stop\n');
      else script.kill('SIGTERM');
      if (!(await waitExit(script, 30_000))) {
        script.kill('SIGKILL');
        await waitExit(script, 5_000);
      }
    }
    // Normally the script has reaped them all; this covers a script that was killed.
    for (const pid of [cluster.pids.rgw, cluster.pids.osd, cluster.pids.mon]) {
      if (pid === undefined || pidGone(pid)) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        continue;
      }
      for (let i = 0; i < 100 && !pidGone(pid); i++) await sleep(50);
    }
    clusters.delete(cluster);
    await rm(dir, { recursive: true, force: true });
  };

  let busy: Promise<void> = Promise.resolve();
  /** One command at a time. */
  const command = (cmd: string, ok: (line: string) => boolean, what: string): Promise<void> => {
    const run = async (): Promise<void> => {
      if (stopped || exited(script)) throw new Error(`S3 server already stopped (${what})`);
      const reply = expectLine(ok, what, COMMAND_TIMEOUT_MS);
      script.stdin?.write(`${cmd}\n`);
      await reply;
    };
    const p = busy.then(run, run);
    busy = p.catch(() => undefined);
    return p;
  };

  try {
    await expectLine((l) => l === 'READY', 'starting the Ceph cluster', START_TIMEOUT_MS);
    ready = true;
    await waitHttp(endpoint, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    endpoint,
    region: 'us-east-1',
    dir,
    accessKeyId,
    secretAccessKey,
    stopGateway: () => command('stop-gateway', (l) => l === 'gateway-stopped', 'stopping radosgw'),
    startGateway: async () => {
      await command('start-gateway', (l) => l === 'gateway-started', 'starting radosgw');
      await waitHttp(endpoint, 30_000);
    },
    stop,
  };
}

/**
 * An S3Client for the test server: path-style, checksums only when required (RGW rejects the SDK's
 * default aws-chunked streaming uploads with 411 MissingContentLength). `overrides` win, e.g.
 * { credentials: { accessKeyId, secretAccessKey: 'wrong' } } or { maxAttempts: 1 }.
 */
export function s3Client(server: S3Server, overrides: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    ...overrides,
  });
}

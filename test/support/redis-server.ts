// A real redis-server for tests of the Redis stream source: 127.0.0.1, a free port, its own temp
// dir, no persistence unless asked. Ready means it answered PING (a loaded machine can take seconds
// to start it; a fixed sleep would be flaky). stop()/start() restart it on the same port and dir, so
// a client with the same URL reconnects; with `persist` the streams and groups survive that.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { exited, waitExit } from './child-exit.ts';
import { freePort } from './ports.ts';

export interface RedisServerOptions {
  /** Append-only file fsynced on every write: data, streams and consumer groups survive stop()/start(). */
  persist?: boolean;
  /** An ACL user that may do everything, besides the password-less default user the test itself uses. */
  user?: { name: string; password: string };
  /** requirepass: the default user needs this password (`redis://:PASSWORD@...`). */
  password?: string;
  /** TLS only (rediss://) on the port, with this certificate (see tls-certs.ts); clients need no certificate. */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

export interface RedisServer {
  port: number;
  /** redis://127.0.0.1:PORT (rediss:// with `tls`), as the default user (without its password with `password`). */
  url: string;
  /** redis://NAME:PASSWORD@127.0.0.1:PORT for the `user` option. */
  userUrl(): string;
  /** The running server's process id (benchmarks read its CPU time). */
  pid(): number | undefined;
  /** SIGTERM, wait for the exit (SIGKILL after 5 s). No-op when not running. */
  stop(): Promise<void>;
  /** Start again on the same port and dir, and wait for PING. No-op when running. */
  start(): Promise<void>;
  /** stop(), then remove its dir. */
  close(): Promise<void>;
}

const BINARY = '/usr/bin/redis-server';
const READY_TIMEOUT_MS = 30_000;
const LOG_LIMIT = 16 * 1024;

export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-test-'));
  let port = await freePort();
  let child: ChildProcess | undefined;
  let log = '';

  const args = (): string[] => [
    ...(opts.tls ? ['--port', '0', '--tls-port', String(port), '--tls-auth-clients', 'no'] : ['--port', String(port)]),
    ...(opts.tls ? ['--tls-cert-file', opts.tls.certFile, '--tls-key-file', opts.tls.keyFile, '--tls-ca-cert-file', opts.tls.caFile] : []),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    opts.persist ? 'yes' : 'no',
    '--appendfsync',
    'always',
    ...(opts.password !== undefined ? ['--requirepass', opts.password] : []),
    ...(opts.user ? ['--user', opts.user.name, 'on', `>${opts.user.password}`, '~*', '&*', '+@all'] : []),
  ];

  const launch = async (): Promise<void> => {
    log = '';
    const c = spawn(BINARY, args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    const keep = (chunk: Buffer): void => {
      log = (log + chunk.toString()).slice(-LOG_LIMIT);
    };
    c.stdout?.on('data', keep);
    c.stderr?.on('data', keep);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await pong(port, opts.tls?.caFile))) {
      if (exited(c)) throw new Error(`redis-server exited (${c.exitCode ?? c.signalCode}) before answering PING on port ${port}:\n${log}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on port ${port} within ${READY_TIMEOUT_MS} ms:\n${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = async (): Promise<void> => {
    const c = child;
    if (c === undefined || exited(c)) return;
    c.kill('SIGTERM');
    if (!(await waitExit(c, 5000))) {
      c.kill('SIGKILL');
      await waitExit(c, 5000);
    }
  };

  // The first start may lose its free port to another process; a restart must keep its port.
  for (let attempt = 0; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      await stop();
      if (attempt >= 2 || !/Address already in use/i.test(log)) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      port = await freePort();
    }
  }
  process.once('exit', () => child?.kill('SIGKILL')); // a crashed test does not leave it running

  return {
    port,
    url: `${opts.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    userUrl: () => {
      if (!opts.user) throw new Error('userUrl(): start the server with the user option');
      return `redis://${encodeURIComponent(opts.user.name)}:${encodeURIComponent(opts.user.password)}@127.0.0.1:${port}`;
    },
    pid: () => (child !== undefined && !exited(child) ? child.pid : undefined),
    stop,
    start: async () => {
      if (child !== undefined && !exited(child)) return;
      await launch();
    },
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether a Redis on the port answers PING (an error reply such as NOAUTH also means it is up); over TLS with `caFile`. */
function pong(port: number, caFile?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = caFile === undefined ? connect({ host: '127.0.0.1', port }) : tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(caFile) });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.once(caFile === undefined ? 'connect' : 'secureConnect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

// A real mosquitto broker for tests of the MQTT sink and the till's triggers: 127.0.0.1, a free port,
// a generated config in its own temp dir, nothing persisted (a restart forgets retained messages, as
// a broker that lost its disk would). Ready means it accepted a TCP connection (a loaded machine can
// take seconds to start it; a fixed sleep would be flaky). stop()/kill() and start() keep the port,
// so a client with the same URL reconnects.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { exited, waitExit } from './child-exit.ts';
import { freePort } from './ports.ts';

export interface MosquittoOptions {
  /** Only this user may connect (a password_file made with mosquitto_passwd); else anyone may. */
  user?: { name: string; password: string };
  /** TLS on the listener (mqtts://), with a self-signed certificate for 127.0.0.1 made here. */
  tls?: boolean;
}

export interface Mosquitto {
  port: number;
  /** mqtt://127.0.0.1:PORT (mqtts:// with the tls option), without credentials. */
  url: string;
  /** With the tls option: the certificate (PEM) a client must trust. */
  certFile: string;
  /** mqtt://NAME:PASSWORD@127.0.0.1:PORT for the `user` option. */
  userUrl(): string;
  /** SIGTERM, wait for the exit (SIGKILL after 5 s). No-op when not running. */
  stop(): Promise<void>;
  /** SIGKILL: the broker vanishes without a goodbye, as a crashed or unplugged one does. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing is answered, as a hung broker (or a black-holed route). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Start again on the same port, and wait until it accepts connections. No-op when running. */
  start(): Promise<void>;
  /** stop(), then remove its dir. */
  close(): Promise<void>;
}

const BINARY = '/usr/sbin/mosquitto';
const PASSWD = '/usr/bin/mosquitto_passwd';
const READY_TIMEOUT_MS = 30_000;
const LOG_LIMIT = 16 * 1024;

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-test-'));
  const passwordFile = join(dir, 'passwd');
  if (opts.user) execFileSync(PASSWD, ['-b', '-c', passwordFile, opts.user.name, opts.user.password], { stdio: 'ignore' });
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (opts.tls) {
    execFileSync(
      '/usr/bin/openssl', // from ca-certificates' dependency
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore' },
    );
  }
  const configFile = join(dir, 'mosquitto.conf');
  let port = await freePort();
  let child: ChildProcess | undefined;
  let log = '';

  const writeConfig = (): void =>
    writeFileSync(
      configFile,
      [
        `listener ${port} 127.0.0.1`,
        ...(opts.tls ? [`certfile ${certFile}`, `keyfile ${keyFile}`] : []),
        opts.user ? `allow_anonymous false\npassword_file ${passwordFile}` : 'allow_anonymous true',
        'persistence false',
        // started as root, mosquitto would switch to a "mosquitto" user that cannot read this dir
        `user ${userInfo().username}`,
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        'log_type notice',
        'log_type information',
      ].join('\n'),
    );

  const launch = async (): Promise<void> => {
    log = '';
    const c = spawn(BINARY, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    const keep = (chunk: Buffer): void => {
      log = (log + chunk.toString()).slice(-LOG_LIMIT);
    };
    c.stdout?.on('data', keep);
    c.stderr?.on('data', keep);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await accepts(port))) {
      if (exited(c)) throw new Error(`mosquitto exited (${c.exitCode ?? c.signalCode}) before listening on port ${port}:\n${log}`);
      if (Date.now() > deadline) throw new Error(`mosquitto did not listen on port ${port} within ${READY_TIMEOUT_MS} ms:\n${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const end = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (c === undefined || exited(c)) return;
    c.kill('SIGCONT'); // a paused broker would hold a SIGTERM until it runs again
    c.kill(signal);
    if (!(await waitExit(c, 5000))) {
      c.kill('SIGKILL');
      await waitExit(c, 5000);
    }
  };

  // The first start may lose its free port to another process; a restart must keep its port.
  for (let attempt = 0; ; attempt++) {
    writeConfig();
    try {
      await launch();
      break;
    } catch (err) {
      await end('SIGKILL');
      if (attempt >= 2 || !/Address already in use/i.test(log)) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      port = await freePort();
    }
  }
  process.once('exit', () => child?.kill('SIGKILL')); // a crashed test does not leave it running

  const scheme = opts.tls ? 'mqtts' : 'mqtt';
  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    certFile,
    userUrl: () => {
      if (!opts.user) throw new Error('userUrl(): start the broker with the user option');
      return `${scheme}://${encodeURIComponent(opts.user.name)}:${encodeURIComponent(opts.user.password)}@127.0.0.1:${port}`;
    },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    start: async () => {
      if (child !== undefined && !exited(child)) return;
      await launch();
    },
    close: async () => {
      await end('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether something accepts TCP connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => done(true));
  });
}

// Does the camera's RTSP port accept TCP connections? During a restart backoff, a camera that is
// down at the TCP level (refused, unreachable, timing out) is retried the moment its port accepts
// again, not when the backoff ends: a camera back after a power cut records within about a
// second instead of up to restart_max later. A camera whose port answers but whose stream fails
// (wrong path, wrong password, broken encoder) keeps the full backoff, so it is not hammered.
import { connect } from 'node:net';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';

export interface Endpoint {
  host: string;
  port: number;
}

/** host:port of an rtsp:// or rtsps:// URL; undefined for anything else (synthetic: sources). */
export function rtspEndpoint(url: string): Endpoint | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'rtsp:' && u.protocol !== 'rtsps:') return undefined;
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { host, port: u.port ? Number(u.port) : u.protocol === 'rtsps:' ? 322 : 554 };
}

/** One TCP connect, closed at once. */
export function portOpen(ep: Endpoint, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: ep.host, port: ep.port });
    const done = (open: boolean): void => {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Waits up to `maxMs`, checking the port every `everyMs`. 'open' as soon as it accepts a
 * connection, 'timeout' when the time is up, 'aborted' when the signal fires.
 */
export async function waitForPort(
  ep: Endpoint,
  maxMs: number,
  opts: { clock: Clock; signal: AbortSignal; everyMs?: number },
): Promise<'open' | 'timeout' | 'aborted'> {
  const every = opts.everyMs ?? 1000;
  const deadline = opts.clock.now() + maxMs;
  for (;;) {
    const left = deadline - opts.clock.now();
    if (left <= 0) return 'timeout';
    await opts.clock.sleep(Math.min(every, left), opts.signal);
    if (opts.signal.aborted) return 'aborted';
    if (await portOpen(ep, Math.min(every, 1000))) return 'open';
  }
}

/** Does the camera accept TCP connections? (true for sources that are not rtsp://) */
export async function cameraAnswers(url: string): Promise<boolean> {
  const ep = rtspEndpoint(url);
  return !ep || portOpen(ep, 1000);
}

/**
 * A recorder's wait before it restarts ffmpeg: `delayMs`, cut short when a camera that refused TCP
 * connections accepts them again (`onUnreachable` is told it refused them).
 */
export async function restartDelay(
  url: string,
  delayMs: number,
  deps: { clock: Clock; log: Logger; signal: AbortSignal; onUnreachable: () => void },
): Promise<void> {
  const { clock, log, signal } = deps;
  const ep = rtspEndpoint(url);
  if (!ep || (await portOpen(ep, 1000))) {
    await clock.sleep(delayMs, signal);
    return;
  }
  deps.onUnreachable();
  const started = clock.now();
  if ((await waitForPort(ep, delayMs, { clock, signal })) === 'open') {
    log.info({ waitedMs: clock.now() - started, delayMs }, 'camera accepts connections again; retrying before the backoff ends');
  }
}

// Shared by the RedisStreamSource tests: a real JPEG, stream entries with known capture times, a
// source with test timings, test clients that never reconnect, and a clock whose backoff waits for
// the test.
import { execFileSync } from 'node:child_process';
import { createClient } from 'redis';
import type { Clock } from '../../src/clock.ts';
import { RedisStreamSource, type RedisStreamSourceOptions } from '../../src/ingest/redis-stream-source.ts';
import type { Logger } from '../../src/logger.ts';
import type { MemoryFrameSink } from './memory-frame-sink.ts';
import type { RedisServer } from './redis-server.ts';

export const JPEG = execFileSync('ffmpeg', [
  ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x36', '-frames:v', '1'],
  ...['-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-f', 'image2pipe', 'pipe:1'],
]);
export const T0 = Date.UTC(2026, 0, 2, 3, 4, 5); // capture times the producer gives
export const GROUP = 'camera-recorder';

// No reconnecting: a test that stops the server must not be kept alive by its client trying again.
const clientOf = (server: RedisServer) => createClient({ url: server.url, socket: { reconnectStrategy: false } });
export type Admin = ReturnType<typeof clientOf>;

export async function adminOf(server: RedisServer): Promise<Admin> {
  const admin = clientOf(server);
  admin.on('error', () => {});
  await admin.connect();
  return admin;
}

export function source(url: string, stream: string, sink: MemoryFrameSink, log: Logger, extra: Partial<RedisStreamSourceOptions> = {}): RedisStreamSource {
  return new RedisStreamSource({
    url,
    stream,
    group: GROUP,
    consumer: 'cam-1',
    sink,
    log,
    blockMs: 200,
    backoff: { initialMs: 50, maxMs: 300 },
    ...extra,
  });
}

/** The real time, but backoff sleeps last until the test releases them. */
export class HeldSleeps implements Clock {
  sleeping = 0;
  #held: (() => void)[] = [];
  now(): number {
    return Date.now();
  }
  sleep(_ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeping++;
    return new Promise((resolve) => {
      this.#held.push(resolve);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }
  release(): void {
    for (const wake of this.#held.splice(0)) wake();
  }
}

export const frameEntry = (i: number): Record<string, string | Buffer> => ({ meta: JSON.stringify({ ts: (T0 + i * 500) / 1000 }), jpeg: JPEG });
export const pending = async (admin: Admin, stream: string): Promise<number> => (await admin.xPending(stream, GROUP)).pending;

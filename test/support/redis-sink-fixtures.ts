// Shared by the Redis sink tests: the app's event stream made from a real configuration (env), a
// subscriber that collects what a camera's channel carries (each envelope checked against the
// published schema), the state keys read back, and a clock whose backoff waits can be held.
import { createSinkMetrics } from '../../src/events/sink-metrics.ts';
import { Registry } from 'prom-client';
import { createClient } from 'redis';
import type { Clock } from '../../src/clock.ts';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { AnyEnvelope } from '../../src/events/event-types.ts';
import { createEventStream, type EventStream } from '../../src/events/event-stream.ts';
import type { Logger } from '../../src/logger.ts';
import { assertCameraState, assertEnvelope } from './event-schema.ts';
import { lineLogger } from './line-logger.ts';

export const CHANNEL = 'camera:';
export const STATE_KEY = 'camera-recorder:state:';

export interface StreamUnderTest {
  stream: EventStream;
  log: Logger;
  /** Every log line, raw, for secret checks. */
  lines: string[];
  /** The value of one of the sink's series for sink="redis". */
  metric(name: string): Promise<number | undefined>;
}

/** The event stream as createApp makes it, from these environment variables; fast reconnects. */
export function redisStream(env: Record<string, string>, clock: Clock = systemClock): StreamUnderTest {
  const config = loadConfig(undefined, {
    STORAGE: 'filesystem',
    CAMERA1_RTSP_URL: 'rtsp://127.0.0.1:8554/s',
    EVENT_RECONNECT_INITIAL: '100ms',
    EVENT_RECONNECT_MAX: '1s',
    ...env,
  });
  const { log, lines } = lineLogger('debug');
  const registry = new Registry();
  const stream = createEventStream({ config, log, clock, metrics: createSinkMetrics(registry) });
  const metric = async (name: string): Promise<number | undefined> =>
    (await registry.getSingleMetric(name)?.get())?.values.find((v) => v.labels.sink === 'redis')?.value;
  return { stream, log, lines, metric };
}

// No reconnecting: a test that stops the server must not be kept alive by its client trying again.
const plainClient = (url: string) => createClient({ url, RESP: 2, socket: { reconnectStrategy: false } });
export type TestClient = ReturnType<typeof plainClient>;

/** A connected client of the test's own (commands, or subscribing). */
export async function clientOf(url: string): Promise<TestClient> {
  const client = plainClient(url);
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** Subscribes to these cameras' channels; `received` fills in arrival order, each envelope valid. */
export async function subscriber(url: string, cameraIds: string[]): Promise<{ received: AnyEnvelope[]; client: TestClient }> {
  const client = await clientOf(url);
  const received: AnyEnvelope[] = [];
  await client.subscribe(
    cameraIds.map((id) => CHANNEL + id),
    (message) => {
      const e: unknown = JSON.parse(message);
      assertEnvelope(e);
      received.push(e as AnyEnvelope);
    },
  );
  return { received, client };
}

/** The state key of a camera, checked against the schema; null when there is none. */
export async function stateOf(client: TestClient, cameraId: string): Promise<unknown> {
  const text = await client.get(STATE_KEY + cameraId);
  if (text === null) return null;
  const state: unknown = JSON.parse(text);
  assertCameraState(state);
  return state;
}

/** The real time, except that while held, sleeps last until release(). */
export class HoldableClock implements Clock {
  held = false;
  sleeping = 0;
  #waiting: (() => void)[] = [];
  now(): number {
    return Date.now();
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (!this.held) return systemClock.sleep(ms, signal);
    this.sleeping++;
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }
  release(): void {
    this.held = false;
    for (const wake of this.#waiting.splice(0)) wake();
  }
}

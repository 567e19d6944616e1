// The real HTTP server on a free loopback port, with the API behind a token, a memory store, a real
// event store in a temp dir and a fake camera registry; log lines are kept for assertions.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import type { CameraService } from '../../src/camera/camera-service.ts';
import type { FrameService } from '../../src/frames/frame-service.ts';
import { EventIntake } from '../../src/clips/event-intake.ts';
import { EventStore } from '../../src/clips/event-store.ts';
import { emitNothing } from '../../src/events/event-bus.ts';
import { loadConfig } from '../../src/config/load.ts';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { Redactor } from '../../src/redact.ts';
import { HttpServer } from '../../src/http/server.ts';
import type { IngestDeps } from '../../src/http/routes/ingest.ts';
import type { WebSocketDeps } from '../../src/http/routes/websocket.ts';
import { MemoryStore } from './memory-store.ts';

export const TOKEN = 'http-Test-token-5c1a';

export interface TestServer {
  url: string;
  store: MemoryStore;
  logs: Record<string, unknown>[];
  redactor: Redactor;
  call(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  stop(): Promise<void>;
}

export async function startHttp(
  cameras: CameraService | undefined,
  options: { token?: string; frames?: FrameService; ingest?: IngestDeps; events?: WebSocketDeps; env?: Record<string, string> } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'http-'));
  const config = loadConfig(undefined, {
    STORAGE: 'filesystem',
    FILESYSTEM_ROOT: dir,
    TEMP_DIR: dir,
    CAMERA1_RTSP_URL: 'rtsp://192.0.2.1/s',
    API_TOKEN: options.token ?? TOKEN,
    ...options.env,
  });
  const redactor = new Redactor();
  const logs: Record<string, unknown>[] = [];
  const out = new Writable({
    write: (chunk, _enc, done) => {
      logs.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const log = createLogger('debug', redactor, out);
  const store = new MemoryStore();
  const events = new EventStore(join(dir, '.events'));
  await events.load(Date.now());
  const server = new HttpServer({
    registry: new Registry(),
    redactor,
    log,
    views: { health: () => ({ status: 'ok' }), notReadyReasons: () => [] },
    api: {
      config,
      store,
      events,
      intake: new EventIntake({
        events,
        worker: { wake: () => undefined },
        clock: systemClock,
        config,
        log,
        currentCameras: () => (cameras ? cameras.list().map((c) => c.id) : config.cameras.map((c) => c.id)),
        emit: emitNothing,
      }),
      clock: systemClock,
      log,
    },
    ...(cameras ? { cameras } : {}),
    ...(options.frames ? { frames: options.frames } : {}),
    ...(options.ingest ? { ingest: options.ingest } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
  const address = await server.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    store,
    logs,
    redactor,
    call: (path, init = {}) => {
      const { token = TOKEN, ...rest } = init;
      const headers: Record<string, string> = {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(rest.body ? { 'content-type': 'application/json' } : {}),
        ...(rest.headers as Record<string, string>),
      };
      return fetch(`${url}${path}`, { ...rest, headers });
    },
    stop: () => server.stop(),
  };
}

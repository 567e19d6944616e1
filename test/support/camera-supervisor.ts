// A CameraSupervisor for tests: real records (a store of the caller's choosing and a real temp dir),
// a log captured as lines, and either real CameraRecorders or a fake that counts live recorders.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CameraRecords } from '../../src/camera/camera-records.ts';
import type { CameraSpec } from '../../src/camera/camera-spec.ts';
import type { RecorderState } from '../../src/camera/recorder.ts';
import { CameraSupervisor, type Recorder } from '../../src/camera/supervisor.ts';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { Redactor } from '../../src/redact.ts';
import type { ObjectStore } from '../../src/storage/object-store.ts';

/** Records starts and stops; `live` counts recorders between start() and the end of stop(), over all fakes. */
export class FakeRecorders {
  live = 0;
  maxLive = new Map<string, number>();
  liveById = new Map<string, number>();
  started: { id: string; url: string }[] = [];
  /** Starts (with the newest name the recorder was told of) and the ends of stops, with the time they happened. */
  events: { id: string; event: 'start' | 'stopped'; atMs: number; newestNameMs?: number | undefined }[] = [];
  /** How long a stop takes: an ffmpeg finalizing its segment. */
  stopMs = 20;

  make = (camera: { id: string; url: string }, newestNameMs?: number): Recorder => {
    const fakes = this;
    let state: RecorderState = 'stopped';
    return {
      id: camera.id,
      get state() {
        return state;
      },
      connected: false,
      newestSegmentEndMs: undefined,
      notRecording: undefined,
      start() {
        state = 'recording';
        fakes.started.push(camera);
        fakes.events.push({ id: camera.id, event: 'start', atMs: Date.now(), newestNameMs });
        const n = (fakes.liveById.get(camera.id) ?? 0) + 1;
        fakes.liveById.set(camera.id, n);
        fakes.maxLive.set(camera.id, Math.max(n, fakes.maxLive.get(camera.id) ?? 0));
      },
      async stop() {
        if (state === 'stopped') return;
        await new Promise((r) => setTimeout(r, fakes.stopMs));
        state = 'stopped';
        fakes.events.push({ id: camera.id, event: 'stopped', atMs: Date.now() });
        fakes.liveById.set(camera.id, (fakes.liveById.get(camera.id) ?? 1) - 1);
      },
    };
  };
}

export interface TestSupervisor {
  supervisor: CameraSupervisor;
  metrics: Metrics;
  redactor: Redactor;
  lines: string[];
  tempDir: string;
}

export function testSupervisor(opts: {
  store: ObjectStore;
  newRecorder: (camera: { id: string; url: string }) => Recorder;
  tempDir?: string;
  key?: Buffer;
  configCameras?: CameraSpec[];
  allowSynthetic?: boolean;
  backlog?: (id: string) => { segments: number; bytes: number };
  /** Shared with real recorders the caller makes. */
  metrics?: Metrics;
}): TestSupervisor {
  const tempDir = opts.tempDir ?? mkdtempSync(join(tmpdir(), 'supervisor-'));
  const lines: string[] = [];
  const redactor = new Redactor();
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const log = createLogger('info', redactor, out);
  const metrics = opts.metrics ?? createMetrics();
  const supervisor = new CameraSupervisor({
    configCameras: opts.configCameras ?? [],
    records: new CameraRecords({ store: opts.store, tempDir, key: opts.key, log }),
    newRecorder: opts.newRecorder,
    metrics,
    redactor,
    log,
    clock: systemClock,
    rules: { allowSynthetic: opts.allowSynthetic ?? false },
    backlog: opts.backlog ?? (() => ({ segments: 0, bytes: 0 })),
    storeTimeoutMs: 5000,
    tempDir,
  });
  return { supervisor, metrics, redactor, lines, tempDir };
}

export function configCamera(id: string, url: string, definedIn: string): CameraSpec {
  return {
    id,
    sourceType: 'rtsp',
    url,
    labels: {},
    enabled: true,
    origin: 'config',
    definedIn,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

// createApp wires the components; start() and stop() bring them up and down in order.
// start: temp dir → HTTP → store probe loop → leftovers queued → cameras (config ones, then the
//        runtime ones from the store, see camera/supervisor.ts) → backlog guard.
// stop:  not ready → every camera's recorder stopped (segments finalized and queued) → uploads drain for
//        shutdown_grace → the rest stays on disk, each file named in the log → HTTP closed.
// A stop that comes while start runs lets start reach its next step, then stops what it started.
import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { CameraRecords } from './camera/camera-records.ts';
import { parseSecretsKey } from './camera/camera-secrets.ts';
import { specOfConfig } from './camera/camera-spec.ts';
import { recorderFactory } from './camera/recorder-factory.ts';
import { CameraSupervisor } from './camera/supervisor.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config/schema.ts';
import { ConfigError, errorMessage, StoreError } from './errors.ts';
import { SnapshotArchive } from './frames/snapshot-archive.ts';
import { visionFactory } from './frames/vision-factory.ts';
import { HttpServer } from './http/server.ts';
import { probeViews } from './probe-views.ts';
import { createEvidenceEvents } from './clips/evidence-events.ts';
import { createEventStream } from './events/event-stream.ts';
import type { Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import type { Redactor } from './redact.ts';
import { BacklogGuard } from './storage/backlog-guard.ts';
import { FilesystemStore } from './storage/fs-store.ts';
import { findLeftovers, listSegments } from './storage/leftovers.ts';
import type { ObjectStore } from './storage/object-store.ts';
import { S3Store } from './storage/s3-store.ts';
import { StoreHealth } from './storage/store-health.ts';
import { Uploader } from './storage/uploader.ts';

export interface AppDeps {
  config: Config;
  log: Logger;
  redactor: Redactor;
  clock: Clock;
}

const STORE_CHECK_MS = 10_000;
export const QUARANTINE_DIR = '.quarantine';
/** Pending and finished evidence-clip events, one JSON file each. */
export const EVENTS_DIR = '.events';
/** Scratch space for clip exports; emptied at start. */
export const CLIPS_DIR = '.clips';

export function createApp({ config, log, redactor, clock }: AppDeps) {
  const metrics: Metrics = createMetrics();
  // the till's triggers over MQTT go where POST /api/events goes (called only once started)
  const stream = createEventStream({ config, log, clock, metrics: metrics.sinks, acceptTrigger: (body) => evidence.acceptTrigger(body) });
  const store: ObjectStore = config.storage === 's3' ? new S3Store(config.s3) : new FilesystemStore(config.filesystem.root);
  const health = new StoreHealth(clock);
  const evidence = createEvidenceEvents({
    config,
    store,
    clock,
    log,
    emit: stream.emit,
    eventsDir: join(config.tempDir, EVENTS_DIR),
    clipsDir: join(config.tempDir, CLIPS_DIR),
    localBacklog: (cameraId) => uploader.waiting().filter((w) => w.cameraId === cameraId),
    currentCameras: () => cameras.list().map((c) => c.id),
  });
  const { events, worker, intake } = evidence;
  const api = config.api.token === '' ? undefined : { config, store, events, intake, clock, log: log.child({ component: 'api' }) };
  const uploader = new Uploader({
    store,
    health,
    log: log.child({ component: 'uploader' }),
    metrics,
    clock,
    onUploaded: (cameraId) => {
      worker.wake();
      void cameras.uploaded(cameraId);
    },
    labelsOf: (id) => cameras.labelsOf(id),
    emit: stream.emit,
    settings: { ...config.upload, ffprobePath: config.recorder.ffprobePath, quarantineDir: join(config.tempDir, QUARANTINE_DIR) },
  });
  const guard = new BacklogGuard(
    {
      ...config.backlog,
      budgetBytes: config.tempDirMaxBytes,
      segmentDurationMs: config.segmentDurationMs,
      tempDir: config.tempDir,
      quarantineDir: join(config.tempDir, QUARANTINE_DIR),
      clipsDir: join(config.tempDir, CLIPS_DIR),
      eventsDir: join(config.tempDir, EVENTS_DIR),
    },
    uploader,
    log.child({ component: 'backlog' }),
    clock,
  );
  const archive = new SnapshotArchive({ store, clock, log: log.child({ component: 'snapshots' }), metrics: metrics.archive, defaults: config.snapshots });
  const visionOf = visionFactory({ config, metrics: metrics.vision, clock, archive, labelsOf: (id) => cameras.labelsOf(id), emit: stream.emit });
  const secretsKey = config.api.cameraSecretsKey === '' ? undefined : parseSecretsKey(config.api.cameraSecretsKey);
  const cameras = new CameraSupervisor({
    configCameras: config.cameras.map((c) => specOfConfig(c, new Date(clock.now()).toISOString())),
    records: new CameraRecords({
      store,
      tempDir: config.tempDir,
      key: Buffer.isBuffer(secretsKey) ? secretsKey : undefined,
      log: log.child({ component: 'cameras' }),
    }),
    newRecorder: recorderFactory({
      config,
      log,
      metrics,
      clock,
      visionOf,
      onSegment: (segment) => void uploader.enqueue(segment),
      emit: stream.emit,
      onDiskFull: () => void guard.diskFull(), // ffmpeg hit ENOSPC: free room before its restart
    }),
    metrics,
    redactor,
    clock,
    log: log.child({ component: 'cameras' }),
    rules: { allowSynthetic: config.api.allowSyntheticCameras },
    backlog: (id) => uploader.backlogByCamera().get(id) ?? { segments: 0, bytes: 0 },
    storeTimeoutMs: STORE_CHECK_MS,
    tempDir: config.tempDir,
    emit: stream.emit,
  });
  const recorders = (): ReturnType<CameraSupervisor['recorders']> => cameras.recorders();
  let phase: 'created' | 'starting' | 'running' | 'stopping' | 'stopped' = 'created';
  const stopRequested = (): boolean => phase === 'stopping';
  let starting: Promise<unknown> = Promise.resolve();
  let stopped: Promise<void> | undefined;
  let storeReady = false;
  const stopChecks = new AbortController();
  let checkLoop: Promise<void> = Promise.resolve();

  metrics.bind({
    backlog: () => uploader.backlogByCamera(),
    newestSegmentEnd: () =>
      new Map(
        recorders()
          .filter((r) => r.newestSegmentEndMs !== undefined)
          .map((r) => [r.id, r.newestSegmentEndMs as number]),
      ),
    recorderStates: () => new Map(recorders().map((r) => [r.id, r.state])),
    frameAges: () => new Map(recorders().flatMap((r) => (r.vision?.newestFrameMs === undefined ? [] : [[r.id, r.vision.newestFrameMs]]))),
    store: () => ({ up: health.up, lastSuccessMs: health.lastSuccessMs }),
  });

  const http = new HttpServer({
    registry: metrics.registry,
    redactor,
    log: log.child({ component: 'http' }),
    ...(api ? { api } : {}),
    cameras,
    frames: cameras,
    ingest: { cameras, apiToken: config.api.token, maxFrameBytes: config.push.maxFrameBytes, clock },
    events: stream,
    views: probeViews({
      phase: () => phase,
      recorders,
      health,
      storeDescription: store.description,
      backlog: () => uploader.backlogByCamera(),
      clock,
      recoveryMs: config.recorder.stallTimeoutMs + config.recorder.restartMaxMs,
    }),
  });

  async function checkStore(): Promise<void> {
    try {
      if (storeReady) await store.check(AbortSignal.timeout(STORE_CHECK_MS));
      else {
        await store.init(AbortSignal.timeout(STORE_CHECK_MS));
        storeReady = true;
      }
      if (health.succeeded()) {
        log.info({ store: store.description }, 'store reachable');
        uploader.retryNow(); // a backlog should not wait out its backoff once the store is back
      }
      await cameras.storeReachable(); // runtime cameras read from the local copy: the store is the truth
    } catch (err) {
      const e = err instanceof StoreError ? err : new StoreError(errorMessage(err), 'other', { cause: err });
      if (health.failed(e)) log.warn({ store: store.description, err: e }, 'store not usable; recording continues, segments wait on disk');
    }
  }

  async function runChecks(): Promise<void> {
    while (!stopChecks.signal.aborted) {
      await checkStore();
      await cameras.sweepDrained();
      await clock.sleep(STORE_CHECK_MS, stopChecks.signal);
    }
  }

  async function startUp(): Promise<AddressInfo | undefined> {
    try {
      await mkdir(config.tempDir, { recursive: true });
    } catch (err) {
      throw new ConfigError([
        { key: 'temp_dir', message: `cannot create ${config.tempDir} (${(err as NodeJS.ErrnoException).code}); point TEMP_DIR at a writable directory` },
      ]);
    }
    if (stopRequested()) return undefined;
    let address: AddressInfo;
    try {
      address = await http.listen(config.http.port, config.http.host);
    } catch (err) {
      throw new ConfigError([
        {
          key: 'http.port',
          message: `cannot listen on ${config.http.host}:${config.http.port} (${(err as NodeJS.ErrnoException).code}); choose another METRICS_PORT`,
        },
      ]);
    }
    log.info(
      {
        port: address.port,
        store: store.description,
        cameras: config.cameras.map((c) => c.id),
        segmentSeconds: config.segmentDurationMs / 1000,
        api: api ? 'on' : 'off (set API_TOKEN)',
      },
      'camera-recorder starting',
    );
    stream.start();
    checkLoop = runChecks();
    // orphaned ffmpegs are stopped (and their segments queued) even when a stop is waiting
    const leftovers = await findLeftovers(config.tempDir, { clock, log, timeoutMs: config.recorder.stopTimeoutMs });
    if (leftovers.length > 0) log.info({ segments: leftovers.length }, 'uploading segments left by an earlier run');
    for (const segment of leftovers) await uploader.enqueue(segment);
    if (stopRequested()) return address;
    await cameras.start();
    cameras.leftoversOf(new Set(leftovers.map((s) => s.cameraId)));
    guard.start();
    await rm(join(config.tempDir, CLIPS_DIR), { recursive: true, force: true });
    await events.load(clock.now());
    if (events.pending().length > 0) log.info({ pending: events.pending().length }, 'resuming pending events');
    worker.start();
    if (!stopRequested()) phase = 'running';
    return address;
  }

  async function stopAll(): Promise<void> {
    phase = 'stopping';
    await starting;
    log.info('stopping: finalizing segments');
    await cameras.stop();
    await guard.stop();
    log.info({ graceMs: config.shutdownGraceMs, waiting: uploader.waiting().length }, 'draining uploads');
    await uploader.stop(config.shutdownGraceMs);
    await worker.stop();
    await archive.stop(); // snapshots under way are let go: no footage is in them
    await stream.stop(); // after the uploads: their last events are queued
    stopChecks.abort();
    await checkLoop;
    await http.stop();
    store.close();
    // what the next start will find, read from the disk: no bookkeeping can make it look better
    const left = await listSegments(config.tempDir);
    for (const s of left) log.warn({ camera: s.cameraId, file: basename(s.path) }, 'segment left on disk for the next start');
    phase = 'stopped';
    log.info({ leftOnDisk: left.length }, 'stopped');
  }

  return {
    metrics,
    /** The event stream: its bus, the cameras' states and the sinks. */
    stream,
    /** Takes evidence-clip events: POST /api/events, and the MQTT triggers. */
    intake,
    /** The cameras: the service the API's camera routes speak to. */
    cameras,
    get recorders() {
      return recorders();
    },
    uploader,
    get phase() {
      return phase;
    },
    /**
     * Throws ConfigError for problems of the host (temp_dir not writable, port taken). Resolves
     * undefined when stop() came before it listened; stop() then ends what it started.
     */
    start(): Promise<AddressInfo | undefined> {
      phase = 'starting';
      const started = startUp();
      starting = started.catch(() => undefined);
      return started;
    },
    /** Safe at any phase, and twice: a second call resolves when the first has stopped everything. */
    stop(): Promise<void> {
      stopped ??= stopAll();
      return stopped;
    },
  };
}

export type App = ReturnType<typeof createApp>;

// The set of cameras: one owner for every recorder, and the CameraService the API speaks to.
// Every change of a camera goes through converge(id, desired): it stops, starts or replaces only
// that camera's recorder, so no other camera is ever interrupted; changes of one id run one after
// another (two PATCHes at once never leave two ffmpegs). Runtime cameras are persisted before they
// are started (camera-records.ts); config cameras are read-only here.
import { emitCameraChange } from '../events/camera-change-events.ts';
import type { EmitEvent } from '../events/event-bus.ts';
import type { Clock } from '../clock.ts';
import { isFrameSink, type PushCameras, type PushTarget } from '../ingest/push-cameras.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { maskUrl, type Redactor } from '../redact.ts';
import type { InputRules } from './camera-input.ts';
import { checkCameraPatch, checkNewCamera } from './camera-request.ts';
import type { CameraRecords } from './camera-records.ts';
import { notFound, notRunning, persisted, readOnly, taken } from './change-refusals.ts';
import { RecorderHandover } from './recorder-handover.ts';
import { RemovedCameras } from './removed-cameras.ts';
import { StoredCameras } from './stored-cameras.ts';
import { Turns } from './turns.ts';
import type { CameraFrames, FrameService } from '../frames/frame-service.ts';
import { CameraChangeError, type CameraPatch, type CameraService, type CameraView, type NewCamera, type RemovedCamera } from './camera-service.ts';
import { type CameraSpec, needsRestart } from './camera-spec.ts';
import { cameraView, type Recorder } from './camera-view.ts';

export type { Recorder };

export interface SupervisorDeps {
  /** The cameras of the configuration, in order. */
  configCameras: CameraSpec[];
  records: CameraRecords;
  /** `newestNameMs`: the second of the newest segment name an earlier recorder of this camera may have used. */
  newRecorder: (camera: CameraSpec, newestNameMs?: number) => Recorder;
  metrics: Metrics;
  redactor: Redactor;
  log: Logger;
  clock: Clock;
  rules: InputRules;
  /** Segments of a camera still waiting for the store. */
  backlog: (id: string) => { segments: number; bytes: number };
  /** Deadline of one store request made for a camera change, and of the load at start. */
  storeTimeoutMs: number;
  /** Where each camera's folder is (`{tempDir}/{id}`): a removed camera's goes once its segments have left. */
  tempDir: string;
  /** The event stream: camera.added / changed / removed. */
  emit?: EmitEvent | undefined;
}

interface Entry {
  spec: CameraSpec;
  recorder: Recorder | undefined;
}

export class CameraSupervisor implements CameraService, FrameService, PushCameras {
  readonly #deps: SupervisorDeps;
  readonly #entries = new Map<string, Entry>();
  readonly #turns = new Turns();
  readonly #removed: RemovedCameras;
  #phase: 'created' | 'running' | 'stopping' | 'stopped' = 'created';
  #stopped: Promise<void> | undefined;
  readonly #stored: StoredCameras;
  readonly #handover: RecorderHandover;

  constructor(deps: SupervisorDeps) {
    this.#deps = deps;
    this.#handover = new RecorderHandover(deps.clock);
    this.#removed = new RemovedCameras({
      metrics: deps.metrics,
      log: deps.log,
      backlog: deps.backlog,
      tempDir: deps.tempDir,
      defined: (id) => this.#entries.has(id),
      inTurn: (id, fn) => this.#serial(id, fn),
    });
    this.#stored = new StoredCameras({
      records: deps.records,
      redactor: deps.redactor,
      log: deps.log,
      storeTimeoutMs: deps.storeTimeoutMs,
      specOf: (id) => this.#entries.get(id)?.spec,
      specs: () => [...this.#entries.values()].map((e) => e.spec),
      inTurn: (id, fn) => this.#serial(id, fn),
      converge: (id, desired) => this.#converge(id, desired),
    });
    for (const spec of deps.configCameras) {
      deps.redactor.addUrlPasswords([spec.url]);
      if (spec.pushToken !== undefined) deps.redactor.add(spec.pushToken);
      this.#entries.set(spec.id, { spec, recorder: deps.newRecorder(spec) });
      deps.metrics.initCamera(spec.id);
    }
    this.#describe();
  }

  /** Recorders that exist now (enabled cameras), for health, readiness and metrics. */
  recorders(): Recorder[] {
    return [...this.#entries.values()].flatMap((e) => (e.recorder ? [e.recorder] : []));
  }

  /** A camera as the ingest route needs it (see PushCameras). */
  pushTarget(id: string): PushTarget | undefined {
    const e = this.#entries.get(id);
    if (!e) return undefined;
    return { sourceType: e.spec.sourceType, pushToken: e.spec.pushToken, sink: isFrameSink(e.recorder) ? e.recorder : undefined };
  }

  /** Labels of a camera, for its segments' metadata; a removed camera's segments keep the last ones. */
  labelsOf(id: string): Record<string, string> {
    return this.#entries.get(id)?.spec.labels ?? this.#removed.labelsOf(id) ?? {};
  }

  /** Starts the config cameras, then loads the runtime ones and starts them. */
  async start(): Promise<void> {
    if (this.#phase !== 'created') return;
    for (const e of this.#entries.values()) emitCameraChange(this.#deps.emit, undefined, e.spec); // the config's cameras
    for (const e of this.#entries.values()) e.recorder?.start();
    this.#phase = 'running';
    await this.#stored.load();
  }

  /**
   * The store answers again: when the runtime cameras came from the local copy, the store's
   * records replace them (cameras added, changed or removed meanwhile by another replica).
   */
  async storeReachable(): Promise<void> {
    if (this.#phase === 'running') await this.#stored.storeReachable();
  }

  /**
   * Cameras whose segments an earlier run left in temp_dir but that are no longer defined (removed
   * before those were uploaded, or taken out of the configuration): like a camera removed now, their
   * upload series and folder go once those segments have left.
   */
  leftoversOf(ids: Iterable<string>): void {
    this.#removed.leftovers(ids);
  }

  /** Removed cameras whose last segment was dropped or quarantined rather than uploaded: their upload series and folder go too. */
  sweepDrained(): Promise<void> {
    return this.#removed.sweep();
  }

  /** A segment of this camera reached the store: a removed camera's upload series and folder go with its last one. */
  uploaded(id: string): Promise<void> {
    return this.#removed.uploaded(id);
  }

  /** Lets changes under way finish, then stops every recorder. A second call resolves with the first. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stopAll();
    return this.#stopped;
  }

  async #stopAll(): Promise<void> {
    this.#phase = 'stopping';
    await this.#turns.settled();
    await Promise.all(this.recorders().map((r) => r.stop()));
    this.#phase = 'stopped';
  }

  list(): CameraView[] {
    return [...this.#entries.values()].sort((a, b) => a.spec.id.localeCompare(b.spec.id)).map((e) => this.#view(e));
  }

  get(id: string): CameraView | undefined {
    const e = this.#entries.get(id);
    return e && this.#view(e);
  }

  framesOf(id: string): CameraFrames | undefined {
    const e = this.#entries.get(id);
    return e && { enabled: e.spec.enabled, snapshot: e.recorder?.snapshot, vision: e.recorder?.vision };
  }

  async add(input: NewCamera): Promise<CameraView> {
    const fields = checkNewCamera(input, this.#deps.rules, this.#deps.redactor);
    const { id } = fields;
    return this.#serial(id, async () => {
      this.#assertRunning();
      const existing = this.#entries.get(id);
      if (existing) throw taken(existing.spec);
      this.#assertStorable(fields.url, fields.pushToken);
      const now = new Date(this.#deps.clock.now()).toISOString();
      const spec: CameraSpec = { ...fields, origin: 'api', definedIn: null, createdAt: now, updatedAt: now };
      await persisted(() => this.#deps.records.save(spec, AbortSignal.timeout(this.#deps.storeTimeoutMs)), this.#deps.log);
      this.#stored.changed(id);
      await this.#converge(id, spec);
      this.#deps.log.info({ camera: id, source: maskUrl(spec.url), labels: spec.labels, enabled: spec.enabled }, 'camera added');
      return this.#view(this.#entries.get(id) as Entry);
    });
  }

  async change(id: string, patch: CameraPatch): Promise<CameraView> {
    if (this.#entries.get(id)?.spec.origin === 'config') this.#writable(id); // read-only says more than a field's error
    const changes = checkCameraPatch(patch, this.#entries.get(id)?.spec.sourceType, this.#deps.redactor);
    return this.#serial(id, async () => {
      this.#assertRunning();
      const current = this.#writable(id);
      if (changes.url !== undefined || changes.pushToken !== undefined) this.#assertStorable(changes.url ?? current.spec.url, changes.pushToken);
      const spec: CameraSpec = { ...current.spec, ...changes, updatedAt: new Date(this.#deps.clock.now()).toISOString() };
      await persisted(() => this.#deps.records.save(spec, AbortSignal.timeout(this.#deps.storeTimeoutMs)), this.#deps.log);
      this.#stored.changed(id);
      await this.#converge(id, spec);
      this.#deps.log.info(
        { camera: id, source: maskUrl(spec.url), labels: spec.labels, enabled: spec.enabled, restarted: needsRestart(current.spec, spec) },
        'camera changed',
      );
      return this.#view(this.#entries.get(id) as Entry);
    });
  }

  async remove(id: string): Promise<RemovedCamera> {
    return this.#serial(id, async () => {
      this.#assertRunning();
      this.#writable(id);
      await persisted(() => this.#deps.records.delete(id, AbortSignal.timeout(this.#deps.storeTimeoutMs)), this.#deps.log);
      this.#stored.changed(id);
      await this.#converge(id, undefined);
      const waiting = this.#deps.backlog(id).segments;
      this.#deps.log.info({ camera: id, segmentsWaiting: waiting }, 'camera removed; its segments are still uploaded');
      return { id, segments_waiting: waiting };
    });
  }

  /** Makes one camera's recorder match `desired` (undefined: gone), touching no other camera. */
  async #converge(id: string, desired: CameraSpec | undefined): Promise<void> {
    const before = this.#entries.get(id)?.spec;
    await this.#apply(id, desired);
    emitCameraChange(this.#deps.emit, before, desired);
  }

  async #apply(id: string, desired: CameraSpec | undefined): Promise<void> {
    const { metrics, newRecorder } = this.#deps;
    const current = this.#entries.get(id);
    if (desired === undefined) {
      if (!current) return;
      await this.#handover.stop(id, current.recorder); // its last segment is finalized and handed to the uploader
      this.#entries.delete(id);
      metrics.forgetCamera(id, 'recorder');
      this.#removed.removed(id, current.spec.labels); // its upload series and folder go with its last segment
      this.#describe();
      return;
    }
    if (current && !needsRestart(current.spec, desired)) {
      current.spec = desired;
      this.#describe();
      return;
    }
    if (!current) {
      this.#removed.added(id);
      metrics.initCamera(id);
    }
    await this.#handover.stop(id, current?.recorder);
    // its names come after the last recorder's, some of which may be uploaded and gone from the folder
    const recorder = desired.enabled ? newRecorder(desired, this.#handover.newestName(id)) : undefined;
    this.#entries.set(id, { spec: desired, recorder });
    this.#describe();
    if (this.#phase === 'running') recorder?.start();
  }

  #describe(): void {
    this.#deps.metrics.describeCameras([...this.#entries.values()].map((e) => e.spec));
  }

  #serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.#turns.run(id, fn);
  }

  #assertRunning(): void {
    if (this.#phase !== 'running') throw notRunning(this.#phase);
  }

  #writable(id: string): Entry {
    const e = this.#entries.get(id);
    if (!e) throw notFound(id);
    if (e.spec.origin === 'config') throw readOnly(e.spec);
    return e;
  }

  #assertStorable(url: string, pushToken?: string): void {
    const why = this.#deps.records.cannotStore(url, pushToken);
    // a 409, not a 503: sending it again cannot help until the service is given a key
    const field = pushToken !== undefined ? 'push_token' : 'source_url';
    if (why !== undefined) throw new CameraChangeError('conflict', `${field}: ${why}`, field);
  }

  #view(e: Entry): CameraView {
    return cameraView(e.spec, e.recorder, this.#deps.backlog(e.spec.id));
  }
}

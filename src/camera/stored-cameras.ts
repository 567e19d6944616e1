// The runtime cameras as the store holds them, brought into the running set: loaded at start, and
// read again when the store answers after they came from the local copy (another replica may have
// added, changed or removed cameras meanwhile). A load never undoes a change made over the API
// while it ran: it read the record as it was before that change.
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Redactor } from '../redact.ts';
import type { CameraRecords } from './camera-records.ts';
import type { CameraSpec } from './camera-spec.ts';

export interface StoredCamerasDeps {
  records: CameraRecords;
  redactor: Redactor;
  log: Logger;
  storeTimeoutMs: number;
  /** The camera of this id in the running set. */
  specOf(id: string): CameraSpec | undefined;
  /** Every camera in the running set. */
  specs(): CameraSpec[];
  /** Runs fn in the camera's turn (changes of one id one after another). */
  inTurn(id: string, fn: () => Promise<void>): Promise<void>;
  /** Makes the camera's recorder match `desired` (undefined: gone). */
  converge(id: string, desired: CameraSpec | undefined): Promise<void>;
}

export class StoredCameras {
  readonly #deps: StoredCamerasDeps;
  /** Runtime cameras came from the local copy: read the store again once it answers. */
  #fromCache = false;
  /**
   * Counts changes made over the API; a camera's entry says when it last changed. A load of the
   * store that began before a camera's change read the record as it was: applying it would undo
   * the change (re-add a removed camera, drop one just added, bring back an old URL).
   */
  #changes = 0;
  readonly #changedAt = new Map<string, number>();

  constructor(deps: StoredCamerasDeps) {
    this.#deps = deps;
  }

  /** A camera was added, changed or removed over the API. */
  changed(id: string): void {
    this.#changedAt.set(id, ++this.#changes);
  }

  /** At start: the stored cameras (or the local copy when the store does not answer) join the running set. */
  async load(): Promise<void> {
    const { records, storeTimeoutMs, log } = this.#deps;
    const since = this.#changes; // the API takes changes while the load runs
    try {
      const loaded = await records.load(AbortSignal.timeout(storeTimeoutMs));
      this.#fromCache = loaded.from === 'cache';
      if (loaded.cameras.length > 0) log.info({ cameras: loaded.cameras.map((c) => c.id), from: loaded.from }, 'runtime cameras loaded');
      await this.#adopt(loaded.cameras, since);
    } catch (err) {
      this.#fromCache = true; // read again when the store answers
      log.warn({ err: errorMessage(err) }, 'cannot load the runtime cameras; trying again when the store answers');
    }
  }

  /** The store answers again: when the runtime cameras came from the local copy, the store's records replace them. */
  async storeReachable(): Promise<void> {
    if (!this.#fromCache) return;
    const { records, storeTimeoutMs, log } = this.#deps;
    const since = this.#changes;
    let loaded;
    try {
      loaded = await records.load(AbortSignal.timeout(storeTimeoutMs));
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'cannot read the stored cameras; trying again at the next store check');
      return;
    }
    if (loaded.from !== 'store') return;
    this.#fromCache = false;
    const stored = new Set(loaded.cameras.map((c) => c.id));
    await this.#adopt(loaded.cameras, since);
    for (const spec of this.#deps.specs()) {
      const { id } = spec;
      if (spec.origin !== 'api' || stored.has(id)) continue;
      await this.#deps.inTurn(id, async () => {
        if (this.#changedSince(id, since) || !this.#deps.specOf(id)) return;
        await this.#deps.converge(id, undefined);
        log.info({ camera: id }, 'camera removed: it is no longer in the store');
      });
    }
    log.info({ cameras: [...stored] }, 'runtime cameras reconciled with the store');
  }

  /** Stored runtime cameras at start or after the store came back; a config camera's id wins. */
  async #adopt(cameras: CameraSpec[], since: number): Promise<void> {
    const { log, redactor } = this.#deps;
    for (const spec of cameras) {
      const current = this.#deps.specOf(spec.id);
      if (current?.origin === 'config') {
        log.warn(
          { camera: spec.id, definedIn: current.definedIn },
          'a stored runtime camera has the id of a config camera; the config camera is recorded and the stored one ignored',
        );
        continue;
      }
      redactor.addUrlPasswords([spec.url]);
      if (spec.pushToken !== undefined) redactor.add(spec.pushToken);
      await this.#deps.inTurn(spec.id, async () => {
        if (!this.#changedSince(spec.id, since)) await this.#deps.converge(spec.id, spec);
      });
    }
  }

  /** A change made over the API since `since`: a load begun before it read the record as it was. */
  #changedSince(id: string, since: number): boolean {
    return (this.#changedAt.get(id) ?? 0) > since;
  }
}

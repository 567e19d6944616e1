// Cameras that are gone while their segments still wait for the store: removed over the API, or
// left in temp_dir by an earlier run for a camera no longer defined. Their upload series stay while
// those segments wait, since they still say something true, and their segments keep the camera's
// last labels; once the last one has left the disk, the series go, and so does the camera's folder.
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';

export interface RemovedCamerasDeps {
  metrics: Metrics;
  log: Logger;
  /** Segments of a camera still waiting for the store. */
  backlog: (id: string) => { segments: number };
  /** `{tempDir}/{id}` is a camera's folder. */
  tempDir: string;
  /** Whether a camera of this id is defined now (added again meanwhile): its folder stays. */
  defined: (id: string) => boolean;
  /** Runs `fn` in the camera's turn, after any change of it under way. */
  inTurn: (id: string, fn: () => Promise<void>) => Promise<void>;
}

export class RemovedCameras {
  readonly #deps: RemovedCamerasDeps;
  /** Gone cameras whose upload series stay until their last segment has left the disk. */
  readonly #draining = new Set<string>();
  /** A removed camera's labels, for its segments still uploading. */
  readonly #lastLabels = new Map<string, Record<string, string>>();

  constructor(deps: RemovedCamerasDeps) {
    this.#deps = deps;
  }

  labelsOf(id: string): Record<string, string> | undefined {
    return this.#lastLabels.get(id);
  }

  /** The camera's recorder has stopped and handed its last segment over; nothing waiting: it goes now. */
  removed(id: string, labels: Record<string, string>): void {
    this.#lastLabels.set(id, labels);
    this.#draining.add(id);
    void this.uploaded(id);
  }

  /** A camera of this id is defined again: its series go on, its folder is its own again. */
  added(id: string): void {
    this.#draining.delete(id);
    this.#lastLabels.delete(id);
  }

  leftovers(ids: Iterable<string>): void {
    for (const id of ids) if (!this.#deps.defined(id)) this.#draining.add(id);
  }

  /** For the ones whose last segment was dropped or quarantined rather than uploaded. */
  async sweep(): Promise<void> {
    await Promise.all([...this.#draining].map((id) => this.uploaded(id)));
  }

  async uploaded(id: string): Promise<void> {
    if (!this.#draining.has(id) || this.#deps.backlog(id).segments > 0) return;
    this.#draining.delete(id);
    this.#lastLabels.delete(id);
    this.#deps.metrics.forgetCamera(id, 'uploads');
    await this.#deps.inTurn(id, () => this.#removeFolder(id));
  }

  /**
   * rmdir, never a recursive delete: a file still there (one the uploader gave up on until the next
   * start) keeps the folder, and the next start uploads it. In the camera's turn, so a camera added
   * again with this id meanwhile keeps its folder.
   */
  async #removeFolder(id: string): Promise<void> {
    if (this.#deps.defined(id)) return;
    const dir = join(this.#deps.tempDir, id);
    try {
      await rmdir(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST')
        this.#deps.log.info({ camera: id, dir }, "the removed camera's folder still holds files; the next start uploads them");
      else if (code !== 'ENOENT') this.#deps.log.warn({ camera: id, dir, err: errorMessage(err) }, "cannot remove the removed camera's folder");
    }
  }
}

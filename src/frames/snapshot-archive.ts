// Writes the frames worth keeping as JPEGs to the bucket: the one that turned a health problem on, the
// one that started a motion period, and (if asked) a sample every few minutes. Snapshots are a
// convenience beside the footage, which is in the segments: this part must never hold memory or
// store bandwidth that recording and segment uploads need. So it keeps no queue: an offer is stored
// at once if an upload slot is free and dropped (counted) if not, each camera and reason is
// rate-limited, and a store that is down or slow costs dropped snapshots, never a retry backlog.
import type { Clock } from '../clock.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import type { ArchiveMetrics } from './archive-metrics.ts';
import { type ArchiveOptions, DEFAULT_ARCHIVE_OPTIONS, type SnapshotReason } from './archive-options.ts';
import { snapshotKey, snapshotMetadata } from './snapshot-key.ts';

export interface SnapshotOffer {
  cameraId: string;
  reason: SnapshotReason;
  /** The picture, kept (not copied) until its upload ends: the caller must not reuse the buffer. */
  jpeg: Buffer;
  /** When the frame was captured (ms since the epoch): the key's date and time. */
  capturedAtMs: number;
  /** The camera's labels, stored as metadata like a segment's. */
  labels?: Record<string, string>;
}

/** What became of an offer at once: an upload started, or why not. A started upload may still fail (counted as `failed`). */
export type OfferResult = 'started' | 'mode' | 'rate_limited' | 'busy' | 'stopped';

export interface SnapshotArchiveDeps {
  store: ObjectStore;
  clock: Clock;
  log: Logger;
  metrics: ArchiveMetrics;
  /** Options of a camera that was not `configure`d. @default DEFAULT_ARCHIVE_OPTIONS */
  defaults?: ArchiveOptions;
  /** Uploads under way at once, all cameras together; an offer beyond is dropped. @default 2 */
  maxInFlight?: number;
  /** An upload (its HEAD and PUT) that takes longer is abandoned and counted as failed. @default 30 s */
  uploadTimeoutMs?: number;
}

/** Suffixes tried for snapshots of the same second and reason (`_2` … `_9`) before one is given up. */
const MAX_COPIES = 9;

export class SnapshotArchive {
  readonly #store: ObjectStore;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #metrics: ArchiveMetrics;
  readonly #defaults: ArchiveOptions;
  readonly #maxInFlight: number;
  readonly #uploadTimeoutMs: number;
  readonly #options = new Map<string, ArchiveOptions>();
  /** Per camera and reason, when (clock time) the last upload was started: the rate limit. */
  readonly #last = new Map<string, Map<SnapshotReason, number>>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #stopping = new AbortController();
  /** Failures since the last stored snapshot: only the first of an episode is logged. */
  #failures = 0;

  /** Cameras forgotten since they were last configured: their late uploads are not counted. */
  readonly #gone = new Set<string>();
  constructor(deps: SnapshotArchiveDeps) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#metrics = deps.metrics;
    this.#defaults = deps.defaults ?? DEFAULT_ARCHIVE_OPTIONS;
    this.#maxInFlight = deps.maxInFlight ?? 2;
    this.#uploadTimeoutMs = deps.uploadTimeoutMs ?? 30_000;
    if (!Number.isInteger(this.#maxInFlight) || this.#maxInFlight < 1)
      throw new RangeError(`snapshot archive: maxInFlight is ${this.#maxInFlight}; expected an integer of at least 1`);
  }

  /** Sets a camera's options (a camera added or changed); its rate-limit state is kept. */
  configure(cameraId: string, options: ArchiveOptions): void {
    this.#options.set(cameraId, options);
    this.#gone.delete(cameraId);
  }

  /**
   * Drops what is kept for a camera whose analysis stopped; uploads under way finish but are not
   * counted: the camera's series are removed with it, and a late count would bring them back.
   */
  forget(cameraId: string): void {
    this.#options.delete(cameraId);
    this.#last.delete(cameraId);
    this.#gone.add(cameraId);
  }

  /** Whether an offer of this camera and reason would start an upload now: lets a caller skip making a JPEG nobody stores. */
  wants(cameraId: string, reason: SnapshotReason): boolean {
    return this.#decide(cameraId, reason) === 'started';
  }

  /**
   * Stores the snapshot if the camera's mode keeps this reason, none of the same camera and reason was
   * taken within the interval, and an upload slot is free; otherwise drops it and counts why. Never
   * waits and never throws: the upload goes on in the background. A `sample` that is not due (mode or
   * interval) is not counted as skipped: samples are offered with every frame and taken when due.
   */
  offer(offer: SnapshotOffer): OfferResult {
    const { cameraId, reason } = offer;
    const decision = this.#decide(cameraId, reason);
    if (decision === 'stopped') return decision;
    if (decision !== 'started') {
      if (reason !== 'sample' || decision === 'busy') this.#metrics.skipped(cameraId, reason, decision);
      return decision;
    }
    const lasts = this.#last.get(cameraId) ?? new Map<SnapshotReason, number>();
    lasts.set(reason, this.#clock.now());
    this.#last.set(cameraId, lasts);
    const upload = this.#upload(offer).finally(() => this.#inFlight.delete(upload));
    this.#inFlight.add(upload);
    return 'started';
  }

  /** Resolves when no upload is under way. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Takes no more offers, abandons the uploads under way (snapshots are not worth delaying a shutdown) and waits for them. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.idle();
  }

  #decide(cameraId: string, reason: SnapshotReason): OfferResult {
    if (this.#stopping.signal.aborted) return 'stopped';
    const options = this.#options.get(cameraId) ?? this.#defaults;
    const keeps = reason === 'sample' ? options.mode === 'sample' || options.mode === 'all' : options.mode === 'abnormal' || options.mode === 'all';
    if (!keeps) return 'mode';
    const last = this.#last.get(cameraId)?.get(reason);
    const interval = reason === 'sample' ? options.sampleIntervalMs : options.minIntervalMs;
    // either way: a clock set back must not silence a camera until it has caught up
    if (last !== undefined && Math.abs(this.#clock.now() - last) < interval) return 'rate_limited';
    if (this.#inFlight.size >= this.#maxInFlight) return 'busy';
    return 'started';
  }

  async #upload(offer: SnapshotOffer): Promise<void> {
    const { cameraId, reason, capturedAtMs } = offer;
    const attempt = new AbortController();
    const stopListening = (): void => attempt.abort(new Error('the recorder is stopping'));
    this.#stopping.signal.addEventListener('abort', stopListening, { once: true });
    // the timer is cancelled when the upload ends; its sleep resolves early then, without aborting
    const timer = new AbortController();
    void this.#clock.sleep(this.#uploadTimeoutMs, timer.signal).then(() => {
      if (!timer.signal.aborted) attempt.abort(new Error(`no answer within ${this.#uploadTimeoutMs} ms`));
    });
    let key = snapshotKey(cameraId, capturedAtMs, reason);
    try {
      const metadata = snapshotMetadata(cameraId, reason, capturedAtMs, offer.labels ?? {});
      for (let copy = 2; (await this.#store.head(key, attempt.signal)) !== undefined; copy++) {
        if (copy > MAX_COPIES) throw new Error(`${MAX_COPIES} snapshots of this second and reason are stored already`);
        key = snapshotKey(cameraId, capturedAtMs, reason, copy);
      }
      await this.#store.putBytes({ key, body: offer.jpeg, contentType: 'image/jpeg', metadata, signal: attempt.signal });
      if (!this.#gone.has(cameraId)) this.#metrics.stored(cameraId, reason);
      if (this.#failures > 0) this.#log.info({ failed: this.#failures }, 'snapshots are stored again');
      this.#failures = 0;
    } catch (err) {
      if (!this.#gone.has(cameraId)) this.#metrics.skipped(cameraId, reason, 'failed');
      if (this.#failures++ === 0 && !this.#stopping.signal.aborted) {
        const why = attempt.signal.aborted ? errorMessage(attempt.signal.reason) : errorMessage(err);
        this.#log.warn(
          { camera: cameraId, reason, key, err: why },
          'snapshot not stored (the footage is not affected); further failures are counted in camera_snapshots_skipped_total{why="failed"}, not logged, until one is stored',
        );
      }
    } finally {
      timer.abort();
      this.#stopping.signal.removeEventListener('abort', stopListening);
    }
  }
}

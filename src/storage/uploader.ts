// The upload queue: finished segment → checked (segment-check.ts: MP4 structure or ffprobe; sha256
// and MD5s in one read) → stored with its metadata (segment-metadata.ts; the store checks each
// request's Content-MD5) → verified (HEAD: size and ETag against the file's MD5s) → deleted locally.
// Retries forever with backoff: a segment leaves the disk only when the store has confirmed it,
// when it is quarantined (quarantine.ts: empty or unreadable), or when the backlog guard drops it
// (the cap, the disk budget or a full disk: counted, logged at error).
import type { EmitEvent } from '../events/event-bus.ts';
import { stat, unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import PQueue from 'p-queue';
import type { Clock } from '../clock.ts';
import { backoffDelay } from '../camera/backoff.ts';
import { objectKey } from '../camera/segment-name.ts';
import { errorMessage, SegmentError, StoreError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { FinishedSegment } from '../segment.ts';
import { verifyStored } from './etag.ts';
import type { ObjectStore } from './object-store.ts';
import { quarantine } from './quarantine.ts';
import { checkSegment, type CheckedSegment } from './segment-check.ts';
import { segmentMetadata } from './segment-metadata.ts';
import type { StoreHealth } from './store-health.ts';

export interface UploaderSettings {
  concurrency: number;
  attemptTimeoutMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  ffprobePath: string;
  /** Where empty and unreadable segments go: never uploaded, never silently deleted. */
  quarantineDir: string;
}

export interface UploaderDeps {
  store: ObjectStore;
  health: StoreHealth;
  settings: UploaderSettings;
  log: Logger;
  metrics: Metrics;
  clock: Clock;
  /** A camera's configured labels, stored with each of its segments. */
  labelsOf?: (cameraId: string) => Record<string, string>;
  /** Called after each segment is stored and verified (wakes the event worker). */
  onUploaded?: (cameraId: string) => void;
  /** The event stream: segment.uploaded, segment.dropped, segment.quarantined. */
  emit?: EmitEvent | undefined;
}

type Phase = 'queued' | 'uploading' | 'done';
export type DropReason = 'backlog_cap' | 'disk_full';

export interface WaitingSegment {
  cameraId: string;
  path: string;
  startMs: number;
  size: number;
  /**
   * Taken by an upload slot: being checked, transferred, or waiting to retry. Dropping it aborts
   * work under way, and while its file is open, unlinking it frees no space until the upload lets go.
   */
  inFlight: boolean;
}

interface Job {
  segment: FinishedSegment;
  size: number;
  phase: Phase;
  /** Aborted when the backlog cap drops this segment. */
  drop: AbortController;
  /**
   * The camera's labels when the segment was handed over: a segment waiting for the store keeps
   * them even if the camera is removed and added again with others meanwhile.
   */
  labels: Record<string, string>;
}

export class Uploader {
  #deps: UploaderDeps;
  #queue: PQueue;
  #jobs = new Map<string, Job>();
  #stopping = new AbortController();
  /** Aborted (and replaced) when the store is known to answer again: waiting retries go at once. */
  #retryNow = new AbortController();

  constructor(deps: UploaderDeps) {
    this.#deps = deps;
    this.#queue = new PQueue({ concurrency: deps.settings.concurrency });
  }

  /**
   * Queues a finished segment once; a path already queued or in flight is ignored. The job exists
   * (and the queue is busy) when this returns, before any await: a drain that starts right after
   * a recorder handed its last segment over waits for it. Resolves once the file's size is known.
   */
  enqueue(segment: FinishedSegment): Promise<void> {
    if (this.#jobs.has(segment.path) || this.#stopping.signal.aborted) return Promise.resolve();
    const job: Job = { segment, size: 0, phase: 'queued', drop: new AbortController(), labels: this.#deps.labelsOf?.(segment.cameraId) ?? {} };
    this.#jobs.set(segment.path, job);
    const found = stat(segment.path).then(
      (info) => {
        job.size = info.size;
        this.#recorded(segment, info);
      },
      () => {
        job.phase = 'done'; // gone: uploaded or dropped meanwhile
      },
    );
    void this.#queue
      .add(async () => {
        await found;
        if (job.phase !== 'done') await this.#process(job);
      })
      // not lost: the file stays where the next start finds it
      .catch((err) => this.#deps.log.warn({ err, file: segment.path }, 'upload task failed unexpectedly; the segment stays on disk for the next start'))
      .finally(() => this.#jobs.delete(segment.path));
    return found;
  }

  /** Segments waiting (queued or in flight), oldest first. */
  waiting(): WaitingSegment[] {
    return [...this.#jobs.values()]
      .filter((j) => j.phase !== 'done')
      .map((j) => ({ cameraId: j.segment.cameraId, path: j.segment.path, startMs: j.segment.startMs, size: j.size, inFlight: j.phase === 'uploading' }))
      .sort((a, b) => a.startMs - b.startMs);
  }

  backlogByCamera(): Map<string, { segments: number; bytes: number }> {
    const out = new Map<string, { segments: number; bytes: number }>();
    for (const j of this.#jobs.values()) {
      if (j.phase === 'done') continue;
      const b = out.get(j.segment.cameraId) ?? { segments: 0, bytes: 0 };
      b.segments += 1;
      b.bytes += j.size;
      out.set(j.segment.cameraId, b);
    }
    return out;
  }

  /** Deletes a waiting segment without storing it: footage lost, so it is logged at error and counted. */
  async drop(path: string, reason: DropReason): Promise<boolean> {
    const job = this.#jobs.get(path);
    if (!job || job.phase === 'done') return false;
    const uploading = job.phase === 'uploading';
    job.drop.abort(reason);
    job.phase = 'done';
    await unlink(path).catch(() => undefined);
    this.#deps.metrics.segmentsDropped.inc({ camera_id: job.segment.cameraId, reason });
    this.#deps.log.error(
      { camera: job.segment.cameraId, file: basename(path), bytes: job.size, reason, uploading },
      'segment dropped before upload: footage lost',
    );
    this.#deps.emit?.('segment.dropped', job.segment.cameraId, { file: basename(path), reason, bytes: job.size });
    return true;
  }

  /** Ends every retry wait now: called when the store answers again after failing. */
  retryNow(): void {
    const previous = this.#retryNow;
    this.#retryNow = new AbortController();
    previous.abort();
  }

  /** Resolves when nothing is queued or in flight. */
  onIdle(): Promise<void> {
    return this.#queue.onIdle();
  }

  /**
   * Lets queued and running uploads finish for up to `graceMs`, then aborts the rest and resolves
   * once none runs. Whatever was not stored stays on disk and is uploaded at the next start. The
   * queue is not cleared (p-queue would reject every queued job): once stopping, each job ends as
   * soon as its turn comes.
   */
  async stop(graceMs: number): Promise<void> {
    const idle = this.#queue.onIdle();
    const timer = new AbortController();
    await Promise.race([idle, this.#deps.clock.sleep(graceMs, timer.signal)]);
    timer.abort();
    this.#stopping.abort();
    await this.#queue.onIdle();
  }

  async #process(job: Job): Promise<void> {
    const { log, metrics, clock, settings, store, health } = this.#deps;
    const { segment } = job;
    const camera = { camera_id: segment.cameraId };
    const file = basename(segment.path);
    if (this.#stopping.signal.aborted || job.drop.signal.aborted) return;
    job.phase = 'uploading';
    let checked: CheckedSegment;
    for (let attempt = 0; ; attempt++) {
      try {
        checked = await checkSegment(segment, {
          partSize: store.partSize,
          ffprobePath: settings.ffprobePath,
          log,
          signal: this.#stopping.signal,
          onSize: (size) => {
            job.size = size;
          },
        });
        break;
      } catch (err) {
        if (err instanceof SegmentError) return this.#quarantine(job, err);
        if (this.#stopping.signal.aborted || job.drop.signal.aborted) return;
        log.warn({ camera: segment.cameraId, file, err }, 'cannot check segment; retrying');
        await clock.sleep(backoffDelay(attempt, { initialMs: settings.retryInitialMs, maxMs: settings.retryMaxMs }), this.#stopping.signal);
      }
    }
    const key = objectKey(segment.cameraId, segment.startMs);
    const { metadata, durationSec } = segmentMetadata(segment, checked, job.size, job.labels, log);
    for (let attempt = 0; ; attempt++) {
      const signal = AbortSignal.any([this.#stopping.signal, job.drop.signal, AbortSignal.timeout(settings.attemptTimeoutMs)]);
      const started = clock.now();
      try {
        await store.put({ key, path: segment.path, size: job.size, contentType: 'video/mp4', metadata, digests: checked.digests, signal });
        verifyStored(key, await store.head(key, signal), checked.digests);
        if (job.drop.signal.aborted) return; // dropped meanwhile: counted there
        job.phase = 'done';
        await unlink(segment.path).catch((err) => log.warn({ err, file }, 'stored, but deleting the local file failed'));
        const seconds = (clock.now() - started) / 1000;
        metrics.uploadDuration.observe(camera, seconds);
        metrics.segmentsUploaded.inc(camera);
        metrics.uploadedBytes.inc(camera, job.size);
        if (health.succeeded()) {
          log.info({ store: store.description }, 'store reachable');
          this.retryNow();
        }
        log.info({ camera: segment.cameraId, key, bytes: job.size, durationSec, uploadSeconds: seconds, attempts: attempt + 1 }, 'segment uploaded');
        this.#deps.emit?.('segment.uploaded', segment.cameraId, {
          key,
          bytes: job.size,
          start: String(metadata.start),
          end: String(metadata.end),
          sha256: checked.digests.sha256,
        });
        this.#deps.onUploaded?.(segment.cameraId);
        return;
      } catch (err) {
        if (this.#stopping.signal.aborted || job.drop.signal.aborted) return;
        const storeErr = err instanceof StoreError ? err : new StoreError(errorMessage(err), 'other', { cause: err });
        metrics.uploadFailures.inc(camera);
        // the store refused the bytes it received, or keeps others: the local file is the only good copy
        if (storeErr.kind === 'mismatch') metrics.uploadVerificationFailures.inc(camera);
        if (storeErr.kind !== 'mismatch' && health.failed(storeErr))
          log.warn({ store: store.description, err: storeErr }, 'store failing; segments stay on disk and are retried');
        const delayMs = backoffDelay(attempt, { initialMs: settings.retryInitialMs, maxMs: settings.retryMaxMs });
        log.warn({ camera: segment.cameraId, key, attempt: attempt + 1, delayMs, kind: storeErr.kind, err: storeErr.message }, 'upload failed; retrying');
        await clock.sleep(delayMs, AbortSignal.any([this.#stopping.signal, job.drop.signal, this.#retryNow.signal]));
        if (this.#stopping.signal.aborted || job.drop.signal.aborted) return;
      }
    }
  }

  /** segment.recorded: the segment is closed and waits for upload (from this run, or left by an earlier one). */
  #recorded(segment: FinishedSegment, info: { size: number; mtimeMs: number }): void {
    const endMs = segment.listedDurationSec === undefined ? info.mtimeMs : segment.startMs + segment.listedDurationSec * 1000;
    this.#deps.emit?.('segment.recorded', segment.cameraId, {
      file: basename(segment.path),
      start: new Date(segment.startMs).toISOString(),
      end: new Date(endMs).toISOString(),
      duration_seconds: Math.max(0, Math.round(endMs - segment.startMs) / 1000),
      bytes: info.size,
    });
  }

  /** A segment that must not be stored: moved to quarantine, unless the backlog guard dropped it meanwhile. */
  async #quarantine(job: Job, err: SegmentError): Promise<void> {
    if (job.drop.signal.aborted) return; // dropped while it was checked (its file is gone): counted there
    job.phase = 'done';
    const { settings, log, metrics } = this.#deps;
    const target = await quarantine(job.segment, err, { quarantineDir: settings.quarantineDir, log, metrics });
    if (target) this.#deps.emit?.('segment.quarantined', job.segment.cameraId, { file: basename(job.segment.path), reason: err.problem, path: target });
  }
}

// Finished segment → checked (MP4 structure or ffprobe; sha256 and MD5s in one read) → stored (the
// store checks each request's Content-MD5) → verified (HEAD: size and ETag against the file's MD5s) → deleted locally.
// Retries forever with backoff: a segment leaves the disk only when the store has confirmed it,
// when it is quarantined (empty or unreadable), or when the backlog guard drops it (the cap, the
// disk budget or a full disk: counted, logged at error).
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import PQueue from 'p-queue';
import type { Clock } from '../clock.ts';
import { backoffDelay } from '../camera/backoff.ts';
import { objectKey } from '../camera/segment-name.ts';
import { labelMetadata } from '../config/labels.ts';
import { errorMessage, SegmentError, StoreError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { probe, ProbeError } from '../media/ffprobe.ts';
import { checkFragmentedMp4 } from '../media/mp4-structure.ts';
import type { Metrics } from '../metrics.ts';
import { plausibleDuration, preciseBounds, type FinishedSegment } from '../segment.ts';
import { verifyStored } from './etag.ts';
import { fileDigests, type FileDigests } from './hash.ts';
import type { ObjectStore } from './object-store.ts';
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
    const job: Job = { segment, size: 0, phase: 'queued', drop: new AbortController() };
    this.#jobs.set(segment.path, job);
    const found = stat(segment.path).then(
      (info) => void (job.size = info.size),
      () => void (job.phase = 'done'), // gone: uploaded or dropped meanwhile
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
    this.#deps.log.error({ camera: job.segment.cameraId, file: basename(path), bytes: job.size, reason, uploading }, 'segment dropped before upload: footage lost');
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
    let prepared: Prepared;
    for (let attempt = 0; ; attempt++) {
      try {
        prepared = await this.#prepare(job);
        break;
      } catch (err) {
        if (err instanceof SegmentError) return this.#quarantine(job, err);
        if (this.#stopping.signal.aborted || job.drop.signal.aborted) return;
        log.warn({ camera: segment.cameraId, file, err }, 'cannot check segment; retrying');
        await clock.sleep(backoffDelay(attempt, { initialMs: settings.retryInitialMs, maxMs: settings.retryMaxMs }), this.#stopping.signal);
      }
    }
    const key = objectKey(segment.cameraId, segment.startMs);
    const duration = plausibleDuration(prepared.durations, segment.startMs, prepared.endMs);
    if (duration.rejected.length > 0) log.warn({ camera: segment.cameraId, file, claimed: duration.rejected, durationSec: duration.durationSec, from: duration.from }, 'segment timestamps claim more media than the time it was recorded; its duration is the first reading that fits, else the file times');
    const durationSec = duration.durationSec;
    const { startMs, endMs } = preciseBounds(segment.startMs, prepared.endMs, durationSec);
    const metadata = {
      ...labelMetadata(this.#deps.labelsOf?.(segment.cameraId) ?? {}),
      camera: segment.cameraId,
      start: new Date(startMs).toISOString(),
      end: new Date(endMs).toISOString(),
      duration: durationSec.toFixed(3),
      size: String(job.size),
      sha256: prepared.digests.sha256,
    };
    for (let attempt = 0; ; attempt++) {
      const signal = AbortSignal.any([this.#stopping.signal, job.drop.signal, AbortSignal.timeout(settings.attemptTimeoutMs)]);
      const started = clock.now();
      try {
        await store.put({ key, path: segment.path, size: job.size, contentType: 'video/mp4', metadata, digests: prepared.digests, signal });
        verifyStored(key, await store.head(key, signal), prepared.digests);
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
        this.#deps.onUploaded?.(segment.cameraId);
        return;
      } catch (err) {
        if (this.#stopping.signal.aborted || job.drop.signal.aborted) return;
        const storeErr = err instanceof StoreError ? err : new StoreError(errorMessage(err), 'other', { cause: err });
        metrics.uploadFailures.inc(camera);
        // the store refused the bytes it received, or keeps others: the local file is the only good copy
        if (storeErr.kind === 'mismatch') metrics.uploadVerificationFailures.inc(camera);
        if (storeErr.kind !== 'mismatch' && health.failed(storeErr)) log.warn({ store: store.description, err: storeErr }, 'store failing; segments stay on disk and are retried');
        const delayMs = backoffDelay(attempt, { initialMs: settings.retryInitialMs, maxMs: settings.retryMaxMs });
        log.warn({ camera: segment.cameraId, key, attempt: attempt + 1, delayMs, kind: storeErr.kind, err: storeErr.message }, 'upload failed; retrying');
        await clock.sleep(delayMs, AbortSignal.any([this.#stopping.signal, job.drop.signal, this.#retryNow.signal]));
        if (this.#stopping.signal.aborted || job.drop.signal.aborted) return;
      }
    }
  }

  /**
   * The digests (sha256 and the store's MD5s, one read), a readability check and the duration
   * (ffprobe, which decides whether it plays). Throws SegmentError for a segment that must not be
   * uploaded. A listed segment whose MP4 structure looks wrong is logged first.
   */
  async #prepare(job: Job): Promise<Prepared> {
    const { path, listedDurationSec } = job.segment;
    const info = await stat(path);
    const size = info.size;
    job.size = size;
    if (size === 0) throw new SegmentError('segment is empty', 'empty');
    const digests = fileDigests(path, this.#deps.store.partSize, this.#stopping.signal);
    digests.catch(() => undefined); // awaited below; a readability failure may come first
    const structure = listedDurationSec ? await checkFragmentedMp4(path) : undefined;
    if (structure && !structure.ok) this.#deps.log.warn({ camera: job.segment.cameraId, file: basename(path), why: structure.why }, 'listed segment has an unexpected structure; checking it with ffprobe');
    // ffprobe's duration, not the list's: the list's first line of a run can be off by the stream's
    // start offset, and bounds from it overlapped the next segment (clips picked a third segment)
    const durations = await this.#probeDurations(path);
    const read = await digests;
    // a finished segment does not change: if it did, its digests are not those of what is uploaded
    if (read.size !== size) throw new Error(`segment changed while it was read: ${size} bytes at stat, ${read.size} read`);
    return { digests: read, durations: [...durations, listedDurationSec], endMs: info.mtimeMs };
  }

  /** The file's duration and its video stream's, best first (see plausibleDuration). */
  async #probeDurations(path: string): Promise<(number | undefined)[]> {
    try {
      const result = await probe(path, { ffprobePath: this.#deps.settings.ffprobePath, timeoutMs: 60_000, signal: this.#stopping.signal });
      const video = result.streams.find((s) => s.type === 'video');
      if (!video) throw new SegmentError('segment has no video stream', 'unreadable');
      return [result.durationSec, video.durationSec];
    } catch (err) {
      if (err instanceof SegmentError) throw err;
      if (err instanceof ProbeError && err.segmentFault) throw new SegmentError(`segment is unreadable: ${err.message}`, 'unreadable', { cause: err });
      throw err;
    }
  }

  async #quarantine(job: Job, err: SegmentError): Promise<void> {
    const { segment } = job;
    const dir = join(this.#deps.settings.quarantineDir, segment.cameraId);
    const target = join(dir, basename(segment.path));
    if (job.drop.signal.aborted) return; // dropped while it was checked (its file is gone): counted there
    job.phase = 'done';
    try {
      await mkdir(dir, { recursive: true });
      await rename(segment.path, target);
    } catch (moveErr) {
      this.#deps.log.error({ camera: segment.cameraId, file: segment.path, err: moveErr }, 'cannot move segment to quarantine; left in place');
      return;
    }
    this.#deps.metrics.segmentsQuarantined.inc({ camera_id: segment.cameraId, reason: err.problem });
    this.#deps.log.error({ camera: segment.cameraId, file: basename(segment.path), quarantined: target, reason: err.problem, err: err.message }, 'segment quarantined, not uploaded');
  }
}

/** What #prepare learned of a segment: its digests, its duration readings, when it was closed. */
interface Prepared {
  digests: FileDigests;
  durations: (number | undefined)[];
  endMs: number;
}

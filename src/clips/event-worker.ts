// Turns pending events into evidence clips once their footage is in the store: the post-roll may
// still be recording when the event arrives, and earlier footage may still wait in the local
// backlog (uploads finish out of order), so an event waits for both, at most events.wait_max.
// A clip that cannot be made ends the event `failed` after events.max_attempts tries.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import type { EmitEvent } from '../events/event-bus.ts';
import { errorMessage, StoreError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { ClipError } from './clip-error.ts';
import type { EventRecord, EventStore } from './event-store.ts';
import { storeEvidence } from './event-evidence.ts';
import { clipPieces, extractFrames, frameTimes } from './event-frames.ts';
import { exportClip } from './export-clip.ts';
import { findSegments, GAP_TOLERANCE_MS } from './find-segments.ts';
import { START_AFTER_NAME_MS, START_BEFORE_NAME_MS } from '../segment.ts';

export interface EventWorkerDeps {
  events: EventStore;
  store: ObjectStore;
  clock: Clock;
  log: Logger;
  /** Tells event.done and event.failed. */
  emit: EmitEvent;
  /** Segments of a camera recorded but not yet in the store (the uploader's backlog), by name start. */
  localBacklog: (cameraId: string) => { startMs: number }[];
  settings: {
    ffmpegPath: string;
    ffprobePath: string;
    workDir: string;
    waitMaxMs: number;
    pollIntervalMs: number;
    maxAttempts: number;
    segmentDurationMs: number;
  };
}

/** Longest pause between two tries at one event's clip. */
const RETRY_MAX_MS = 10 * 60_000;

export class EventWorker {
  #deps: EventWorkerDeps;
  #stop = new AbortController();
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  /** Per event: failures in a row (store trouble included) and when it may be tried again. */
  #retry = new Map<string, { failures: number; atMs: number }>();

  constructor(deps: EventWorkerDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Checks pending events now (called after every upload). */
  wake(): void {
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { clock, settings } = this.#deps;
    while (!this.#stop.signal.aborted) {
      for (const rec of this.#deps.events.pending()) {
        if (this.#stop.signal.aborted) break;
        await this.#process(rec).catch((err: unknown) =>
          this.#deps.log.warn({ event: rec.id, err: errorMessage(err) }, 'cannot record the state of an event; will retry'),
        );
      }
      const woken = new AbortController();
      this.#wake = () => woken.abort();
      await clock.sleep(settings.pollIntervalMs, AbortSignal.any([woken.signal, this.#stop.signal]));
      this.#wake = undefined;
    }
  }

  async #process(rec: EventRecord): Promise<void> {
    const { store, clock, log, settings, events, emit } = this.#deps;
    const at = Date.parse(rec.at);
    const fromMs = at - rec.pre_seconds * 1000;
    const toMs = at + rec.post_seconds * 1000;
    const now = clock.now();
    if (now < toMs || now < (this.#retry.get(rec.id)?.atMs ?? 0)) return;
    const givingUp = now > toMs + settings.waitMaxMs;
    if (!givingUp && this.#backlogHolds(rec.camera, fromMs, toMs)) return; // a hole in the store now may be filled by that upload
    try {
      const coverage = await findSegments(store, rec.camera, fromMs, toMs, this.#stop.signal);
      const endCovered = !coverage.gaps.some((g) => g.toMs >= toMs - GAP_TOLERANCE_MS);
      if (!endCovered && !givingUp) return; // the post-roll is still being recorded or uploaded
      await mkdir(settings.workDir, { recursive: true });
      const clipPath = join(settings.workDir, `${rec.id}.mp4`);
      const jsonPath = join(settings.workDir, `${rec.id}.json`);
      const framesDir = join(settings.workDir, `${rec.id}-frames`);
      const signal = this.#stop.signal;
      try {
        const clip = await exportClip({
          store,
          cameraId: rec.camera,
          fromMs,
          toMs,
          outPath: clipPath,
          workDir: settings.workDir,
          ffmpegPath: settings.ffmpegPath,
          ffprobePath: settings.ffprobePath,
          signal,
        });
        const frames = await extractFrames({
          clipPath,
          pieces: clipPieces(clip),
          times: frameTimes(rec.frames_mode ?? 'spread', rec.frames_requested ?? 0, at, fromMs, toMs),
          outDir: framesDir,
          ffmpegPath: settings.ffmpegPath,
          ffprobePath: settings.ffprobePath,
          signal,
        });
        const done = await storeEvidence(store, { rec, clipPath, clip, frames, jsonPath, nowMs: clock.now(), signal });
        await events.save(done);
        this.#retry.delete(rec.id);
        const c = done.clip!;
        log.info({ event: rec.id, camera: rec.camera, key: c.key, gaps: c.gaps.length, frames: frames.length }, 'event clip stored');
        const frameKeys = (done.frames ?? []).map((f) => f.key);
        emit('event.done', rec.camera, {
          event_id: rec.id,
          at: rec.at,
          clip_key: c.key,
          metadata_key: c.metadata_key,
          duration_seconds: c.duration_seconds,
          frames: frameKeys,
        });
      } finally {
        await rm(clipPath, { force: true });
        await rm(jsonPath, { force: true });
        await rm(framesDir, { recursive: true, force: true });
      }
    } catch (err) {
      if (this.#stop.signal.aborted) return;
      if (err instanceof ClipError) {
        await this.#fail({ ...rec, status: 'failed', error: err.message, updated_at: new Date(clock.now()).toISOString() });
        log.error({ event: rec.id, camera: rec.camera, err: err.message }, 'event failed: no footage');
        return;
      }
      await this.#failedTry(rec, err);
    }
  }

  /** Whether a segment waiting for upload may hold footage of [fromMs, toMs). */
  #backlogHolds(cameraId: string, fromMs: number, toMs: number): boolean {
    const { localBacklog, settings } = this.#deps;
    return localBacklog(cameraId).some((s) => s.startMs - START_BEFORE_NAME_MS < toMs && s.startMs + settings.segmentDurationMs + START_AFTER_NAME_MS > fromMs);
  }

  // A try that failed: store trouble waits like the segments do; anything else (ffmpeg or ffprobe
  // refusing a segment) uses up one of max_attempts. Either way the next try backs off, so a bad
  // segment is not downloaded again at every poll and after every upload.
  async #failedTry(rec: EventRecord, err: unknown): Promise<void> {
    const { clock, log, settings, events } = this.#deps;
    const storeTrouble = err instanceof StoreError && err.kind !== 'mismatch';
    const attempts = (rec.attempts ?? 0) + (storeTrouble ? 0 : 1);
    const message = errorMessage(err);
    const updatedAt = new Date(clock.now()).toISOString();
    if (attempts >= settings.maxAttempts) {
      await this.#fail({ ...rec, status: 'failed', attempts, error: `clip not made after ${attempts} attempts: ${message}`, updated_at: updatedAt });
      log.error({ event: rec.id, camera: rec.camera, attempts, err: message }, 'event failed: clip not made');
      return;
    }
    const failures = (this.#retry.get(rec.id)?.failures ?? 0) + 1;
    const delayMs = Math.min(settings.pollIntervalMs * 2 ** failures, RETRY_MAX_MS);
    this.#retry.set(rec.id, { failures, atMs: clock.now() + delayMs });
    if (attempts !== (rec.attempts ?? 0)) await events.save({ ...rec, attempts, error: message, updated_at: updatedAt });
    log.warn(
      { event: rec.id, err: message, attempts, maxAttempts: settings.maxAttempts, storeTrouble, retryInMs: delayMs },
      'event clip not made yet; will retry',
    );
  }

  /** Records the event failed, then tells: a listener who hears it finds it failed at GET /api/events/{id}. */
  async #fail(failed: EventRecord): Promise<void> {
    this.#retry.delete(failed.id);
    await this.#deps.events.save(failed);
    this.#deps.emit('event.failed', failed.camera, { event_id: failed.id, at: failed.at, error: failed.error ?? 'failed' });
  }
}

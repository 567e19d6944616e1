// Turns pending events into evidence clips once their footage is in the store: the post-roll may
// still be recording when the event arrives, so an event waits up to one segment (plus upload).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import { errorMessage, StoreError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { storeFile } from '../storage/store-file.ts';
import { ClipError } from './clip-error.ts';
import type { EventRecord, EventStore } from './event-store.ts';
import { exportClip } from './export-clip.ts';
import { findSegments, GAP_TOLERANCE_MS } from './find-segments.ts';

export interface EventWorkerDeps {
  events: EventStore;
  store: ObjectStore;
  clock: Clock;
  log: Logger;
  settings: { ffmpegPath: string; ffprobePath: string; workDir: string; waitMaxMs: number; pollIntervalMs: number };
}

/** `events/{camera}/{YYYYMMDD}/{HHMMSS}_{event_id}` (+ `.mp4` / `.json`), from the event time in UTC. */
export function eventKeyBase(rec: Pick<EventRecord, 'camera' | 'at' | 'id'>): string {
  const iso = new Date(rec.at).toISOString();
  return `events/${rec.camera}/${iso.slice(0, 10).replaceAll('-', '')}/${iso.slice(11, 19).replaceAll(':', '')}_${rec.id}`;
}

export class EventWorker {
  #deps: EventWorkerDeps;
  #stop = new AbortController();
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

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
        await this.#process(rec);
      }
      const woken = new AbortController();
      this.#wake = () => woken.abort();
      await clock.sleep(settings.pollIntervalMs, AbortSignal.any([woken.signal, this.#stop.signal]));
      this.#wake = undefined;
    }
  }

  async #process(rec: EventRecord): Promise<void> {
    const { store, clock, log, settings, events } = this.#deps;
    const at = Date.parse(rec.at);
    const fromMs = at - rec.pre_seconds * 1000;
    const toMs = at + rec.post_seconds * 1000;
    const now = clock.now();
    if (now < toMs) return;
    try {
      const coverage = await findSegments(store, rec.camera, fromMs, toMs, this.#stop.signal);
      const endCovered = !coverage.gaps.some((g) => g.toMs >= toMs - GAP_TOLERANCE_MS);
      const givingUp = now > toMs + settings.waitMaxMs;
      if (!endCovered && !givingUp) return; // the post-roll is still being recorded or uploaded
      const base = eventKeyBase(rec);
      await mkdir(settings.workDir, { recursive: true });
      const clipPath = join(settings.workDir, `${rec.id}.mp4`);
      const jsonPath = join(settings.workDir, `${rec.id}.json`);
      try {
        const clip = await exportClip({ store, cameraId: rec.camera, fromMs, toMs, outPath: clipPath, workDir: settings.workDir, ffmpegPath: settings.ffmpegPath, ffprobePath: settings.ffprobePath, signal: this.#stop.signal });
        const done: EventRecord = {
          ...rec,
          status: 'done',
          updated_at: new Date(clock.now()).toISOString(),
          clip: {
            key: `${base}.mp4`,
            metadata_key: `${base}.json`,
            from: new Date(clip.fromMs).toISOString(),
            to: new Date(clip.toMs).toISOString(),
            duration_seconds: Math.round(clip.durationSec * 1000) / 1000,
            gaps: clip.gaps.map((g) => ({ from: new Date(g.fromMs).toISOString(), to: new Date(g.toMs).toISOString() })),
          },
        };
        const signal = this.#stop.signal;
        // The clip first, then the JSON beside it: a reader who finds the JSON finds the clip.
        await storeFile(store, { key: `${base}.mp4`, path: clipPath, contentType: 'video/mp4', metadata: { camera: rec.camera, event: rec.id }, signal });
        const json = JSON.stringify({ event_id: rec.id, camera: rec.camera, at: rec.at, pre_seconds: rec.pre_seconds, post_seconds: rec.post_seconds, metadata: rec.metadata, clip: done.clip }, null, 2);
        await writeFile(jsonPath, json);
        await storeFile(store, { key: `${base}.json`, path: jsonPath, contentType: 'application/json', metadata: { camera: rec.camera, event: rec.id }, signal });
        await events.save(done);
        log.info({ event: rec.id, camera: rec.camera, key: done.clip!.key, gaps: done.clip!.gaps.length }, 'event clip stored');
      } finally {
        await rm(clipPath, { force: true });
        await rm(jsonPath, { force: true });
      }
    } catch (err) {
      if (this.#stop.signal.aborted) return;
      if (err instanceof ClipError) {
        await events.save({ ...rec, status: 'failed', error: err.message, updated_at: new Date(clock.now()).toISOString() });
        log.error({ event: rec.id, camera: rec.camera, err: err.message }, 'event failed: no footage');
        return;
      }
      // Store trouble or a transient ffmpeg failure: the event stays pending and is tried again.
      log.warn({ event: rec.id, err: errorMessage(err), transient: err instanceof StoreError }, 'event clip not made yet; will retry');
    }
  }
}

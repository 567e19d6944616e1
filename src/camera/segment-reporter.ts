// What one camera's ffmpeg runs closed, handed on exactly once: segments listed by ffmpeg while it
// runs, and every .mp4 left in the folder once a run has ended (cut short). A file with no frame
// (ffmpeg stopped right after opening it) is removed, not handed on. Also keeps segment names
// unique across runs: see waitForFreshName.
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { watch } from 'chokidar';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { holdsNoFrame } from '../media/mp4-structure.ts';
import type { Metrics } from '../metrics.ts';
import type { FinishedSegment } from '../segment.ts';
import { SegmentListReader } from './segment-list.ts';
import { startFromFileName } from './segment-name.ts';

/**
 * A newest name further ahead of the clock than this means the clock was set back: waiting it out
 * would stop recording for that long, so the run starts at once (and says so).
 */
const MAX_NAME_WAIT_MS = 5000;
const SAFETY_POLL_MS = 5000;

export interface SegmentReporterDeps {
  cameraId: string;
  dir: string;
  segmentDurationMs: number;
  log: Logger;
  metrics: Metrics;
  clock: Clock;
  onSegment: (segment: FinishedSegment) => void;
  /**
   * The second of the newest segment name an earlier recorder of this camera may have used (its
   * segments may be uploaded and gone from the folder): this one's names come after it.
   */
  newestNameMs?: number | undefined;
}

export class SegmentReporter {
  #deps: SegmentReporterDeps;
  /** Segment names already reported, so a file is never handed on twice. Pruned as files leave. */
  #reported = new Set<string>();
  #newestEndMs: number | undefined;
  /** Start (ms) in the newest segment name seen, on disk or reported. */
  #newestNameMs = 0;

  constructor(deps: SegmentReporterDeps) {
    this.#deps = deps;
    this.#newestNameMs = deps.newestNameMs ?? 0;
  }

  /** End time (ms) of the newest segment reported. */
  get newestEndMs(): number | undefined {
    return this.#newestEndMs;
  }

  /**
   * ffmpeg names a segment after the second it opens it (`%Y%m%d-%H%M%S`), and the object key is
   * made of that second. A run started in the second of the last run's newest segment would reuse
   * its name: ffmpeg truncates a file not yet uploaded, or overwrites its object later. So before
   * each start this waits until the clock has left the second of every name seen — reported,
   * or on disk (leftovers of an earlier process or of an orphaned ffmpeg) — and every name of the
   * new run is strictly later. Costs at most a second, only on a restart within the same second.
   */
  async waitForFreshName(signal: AbortSignal): Promise<void> {
    const { clock, log } = this.#deps;
    for (const name of await this.#names()) this.#noteName(name);
    const waitMs = this.#newestNameMs + 1000 - clock.now();
    if (waitMs <= 0) return;
    if (waitMs > MAX_NAME_WAIT_MS) {
      log.warn(
        { newestSegment: new Date(this.#newestNameMs).toISOString(), aheadMs: waitMs },
        'a segment is named later than the clock (was the clock set back?); starting anyway: a name may repeat',
      );
      return;
    }
    await clock.sleep(waitMs, signal);
  }

  /**
   * Watches the segment list of one ffmpeg run and reports each segment as its line appears
   * (chokidar; a poll is the safety net). `onListed` follows every new line. close() stops watching
   * and reports what the list holds by then.
   */
  watchList(listPath: string, onListed: () => void): { close(): Promise<void> } {
    const { log } = this.#deps;
    const list = new SegmentListReader(listPath);
    let draining = Promise.resolve();
    const drain = (): Promise<void> =>
      (draining = draining
        .then(async () => {
          if ((await this.#drainList(list)) > 0) onListed();
        })
        .catch((err) => log.warn({ err }, 'reading the segment list failed; the sweep after the run hands its segments on')));
    const watcher = watch(listPath, { ignoreInitial: false, persistent: true });
    watcher
      .on('add', drain)
      .on('change', drain)
      .on('error', (err) => log.warn({ err }, 'segment list watcher error'));
    const poll = setInterval(drain, SAFETY_POLL_MS);
    return {
      close: async () => {
        clearInterval(poll);
        await watcher.close();
        await drain();
      },
    };
  }

  /** Reports the segments ffmpeg listed since the last call; returns how many lines it read. */
  async #drainList(list: SegmentListReader): Promise<number> {
    const entries = await list.readNew();
    for (const entry of entries) {
      // the first line of a run may carry an absurd duration (see ListedSegment.first): then the
      // uploader asks ffprobe. A segment is never longer than segment_time plus a few GOPs.
      const plausible = !entry.first || entry.durationSec <= this.#deps.segmentDurationMs / 1000 + 10;
      await this.#report(entry.name, { listed: true, durationSec: plausible ? entry.durationSec : undefined });
    }
    return entries.length;
  }

  /** Reports every closed .mp4 not reported yet. Only called while no ffmpeg of this camera runs. */
  async sweep(): Promise<void> {
    const names = await this.#names();
    const present = new Set(names);
    for (const name of this.#reported) if (!present.has(name)) this.#reported.delete(name);
    for (const name of names.sort()) {
      if (!this.#reported.has(name)) await this.#report(name, { listed: false });
    }
  }

  async #names(): Promise<string[]> {
    try {
      return (await readdir(this.#deps.dir)).filter((name) => name.endsWith('.mp4'));
    } catch {
      return [];
    }
  }

  #noteName(name: string): void {
    const startMs = startFromFileName(name);
    if (startMs !== undefined && startMs > this.#newestNameMs) this.#newestNameMs = startMs;
  }

  /** listed: ffmpeg wrote its list line (closed cleanly); else found after the run ended (cut short). */
  async #report(name: string, { listed, durationSec }: { listed: boolean; durationSec?: number | undefined }): Promise<void> {
    const startMs = startFromFileName(name);
    if (startMs === undefined || this.#reported.has(name)) return;
    this.#noteName(name);
    const { metrics, log, clock } = this.#deps;
    const path = join(this.#deps.dir, name);
    let size: number;
    let mtimeMs: number;
    try {
      ({ size, mtimeMs } = await stat(path));
    } catch {
      return; // already gone (uploaded from an earlier report)
    }
    // a file that cannot be read here is handed on: the uploader checks it and says what is wrong
    if (await holdsNoFrame(path).catch(() => false)) {
      // nothing to lose, and nothing wrong with the camera: not a quarantine alarm
      await rm(path, { force: true });
      log.info({ file: name, bytes: size, partial: !listed }, 'segment holds no frame (ffmpeg stopped right after opening it); removed');
      return;
    }
    this.#reported.add(name);
    const camera = { camera_id: this.#deps.cameraId };
    metrics.segmentsRecorded.inc(camera);
    metrics.recordingBytes.inc(camera, size);
    if (durationSec !== undefined) {
      metrics.segmentDuration.observe(camera, durationSec);
      this.#newestEndMs = Math.max(this.#newestEndMs ?? 0, startMs + durationSec * 1000);
    } else {
      // ffmpeg writes each fragment as it comes: the last write is about when the last frame came in
      this.#newestEndMs = Math.max(this.#newestEndMs ?? 0, Math.max(startMs, Math.min(mtimeMs, clock.now())));
    }
    log.info({ file: name, bytes: size, durationSec, partial: !listed }, 'segment finished');
    this.#deps.onSegment({ cameraId: this.#deps.cameraId, path, startMs, listedDurationSec: durationSec });
  }
}

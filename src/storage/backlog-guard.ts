// Keeps temp_dir inside its limits: the cap on waiting segments, the disk budget (everything under
// temp_dir: segments, clip exports, quarantine, events), and the free-space floor. Dropping loses
// footage, so it is the last resort, and what goes first is what costs least: quarantined files,
// then clip scratch (a copy of stored footage), then the oldest *queued* segment; a segment whose
// upload is under way only when nothing else is left, so a slow store still completes transfers.
import { statfs } from 'node:fs/promises';
import type { Clock } from '../clock.ts';
import { formatSize } from '../config/units.ts';
import type { Logger } from '../logger.ts';
import { listFiles, measureSpool, removeFile, type SpoolDirs } from './spool.ts';
import type { DropReason, WaitingSegment } from './uploader.ts';

export interface BacklogSettings extends SpoolDirs {
  /** Cap on the bytes of waiting segments; 0 = none. */
  maxBytes: number;
  /** Free space to keep while the store is not storing; 0 = none. */
  minFreeBytes: number;
  /** Everything under temp_dir together; 0 = only the filesystem's own free space. */
  budgetBytes: number;
  /** Quarantined files older than this are deleted. */
  quarantineMaxAgeMs: number;
  checkIntervalMs: number;
  segmentDurationMs: number;
}

/** The part of the uploader the guard needs. */
export interface Backlog {
  waiting(): WaitingSegment[];
  drop(path: string, reason: DropReason): Promise<boolean>;
}

/** When the floor is larger than the space it is measured in, a tenth of that space is kept instead. */
const CLAMPED_FLOOR_SHARE = 0.1;

/** Queued segments first, then those in flight; oldest first within each. */
export function dropOrder(waiting: readonly WaitingSegment[]): WaitingSegment[] {
  return [...waiting].sort((a, b) => Number(a.inFlight) - Number(b.inFlight) || a.startMs - b.startMs);
}

interface Space {
  /** Bytes that may still be written: the filesystem's free space, or less under the budget. */
  free: number;
  /** What `free` is measured against: the budget, or the filesystem's size. */
  size: number;
  /** Bytes used under temp_dir past the budget (0 without a budget). */
  overBudget: number;
}

export class BacklogGuard {
  #settings: BacklogSettings;
  #backlog: Backlog;
  #log: Logger;
  #clock: Clock;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #warned = new Set<'nothing-to-drop' | 'floor-clamped' | 'floor-storing'>();
  /** Paths waiting at the end of the last pass: one gone since then was stored (or quarantined). */
  #seen = new Set<string>();
  #lastProgressMs: number;

  constructor(settings: BacklogSettings, backlog: Backlog, log: Logger, clock: Clock) {
    this.#settings = settings;
    this.#backlog = backlog;
    this.#log = log;
    this.#clock = clock;
    this.#lastProgressMs = clock.now();
  }

  /** Checks at once (a floor the disk cannot hold is reported at start), then every check_interval. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.check(), this.#settings.checkIntervalMs);
    void this.check();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One pass; exposed so tests and the uploader's callers can force it. Never runs twice at once. */
  check(): Promise<void> {
    return this.#serialized(() => this.#check(false));
  }

  /**
   * The disk is full (ffmpeg hit ENOSPC): frees space at once, without waiting for the store to
   * be judged stalled, until the floor (at least one segment's worth) is free again.
   */
  diskFull(): Promise<void> {
    return this.#serialized(() => this.#check(true));
  }

  #serialized(pass: () => Promise<void>): Promise<void> {
    this.#running = this.#running.then(pass).catch((err) => this.#log.warn({ err }, 'backlog check failed'));
    return this.#running;
  }

  /**
   * The store is storing when a waiting segment left the backlog (or none waited) within two
   * segment durations: with the store keeping up, every camera's segment is gone before its next.
   */
  #storing(now: number): boolean {
    const current = new Set(this.#backlog.waiting().map((w) => w.path));
    if (current.size === 0 || [...this.#seen].some((p) => !current.has(p))) this.#lastProgressMs = now;
    return now - this.#lastProgressMs <= 2 * this.#settings.segmentDurationMs + this.#settings.checkIntervalMs;
  }

  async #check(diskFull: boolean): Promise<void> {
    const { maxBytes } = this.#settings;
    const now = this.#clock.now();
    const storing = this.#storing(now);
    await this.#pruneQuarantineByAge(now);
    if (maxBytes > 0) {
      const total = this.#backlog.waiting().reduce((sum, s) => sum + s.size, 0);
      if (total > maxBytes) await this.#dropSegments(total - maxBytes, 'backlog_cap');
    }
    const space = await this.#space();
    const floor = this.#floor(space.size);
    let need = space.overBudget;
    if (space.free < floor) {
      if (storing && !diskFull)
        this.#once('floor-storing', () =>
          this.#log.warn(
            { freeBytes: space.free, minFreeBytes: floor },
            'free space below backlog.min_free_bytes, but the store is storing: no segment dropped for the floor',
          ),
        );
      if (!storing || diskFull) need = Math.max(need, floor - space.free);
    } else {
      this.#warned.delete('floor-storing');
    }
    if (diskFull) need = Math.max(need, this.#headroom(floor) - space.free);
    if (need > 0) await this.#free(need, diskFull);
    this.#seen = new Set(this.#backlog.waiting().map((w) => w.path));
  }

  /**
   * Frees `need` bytes, cheapest first. Bytes are counted as the files are deleted, not measured
   * again: a file an upload holds open frees nothing until the upload lets go, and measuring again
   * would drop more.
   */
  async #free(need: number, diskFull: boolean): Promise<void> {
    let left = need;
    left -= await this.#pruneFiles(this.#settings.quarantineDir, left, 'quarantined file deleted to free space');
    if (left > 0)
      left -= await this.#pruneFiles(this.#settings.clipsDir, left, 'clip export scratch deleted to free space; that export fails and can be asked again');
    if (left > 0) left -= await this.#dropSegments(left, 'disk_full');
    if (left > 0) {
      this.#once('nothing-to-drop', () =>
        this.#log.warn({ missingBytes: left, diskFull, tempDir: this.#settings.tempDir }, 'disk almost full and no waiting segment left to drop'),
      );
    } else {
      this.#warned.delete('nothing-to-drop');
    }
  }

  async #space(): Promise<Space> {
    const fs = await statfs(this.#settings.tempDir);
    const fsFree = fs.bavail * fs.bsize;
    const fsSize = fs.blocks * fs.bsize;
    const { budgetBytes } = this.#settings;
    if (budgetBytes <= 0) return { free: fsFree, size: fsSize, overBudget: 0 };
    const used = (await measureSpool(this.#settings)).total;
    return { free: Math.min(fsFree, Math.max(0, budgetBytes - used)), size: Math.min(fsSize, budgetBytes), overBudget: Math.max(0, used - budgetBytes) };
  }

  /** The floor as configured, unless the space it is measured in cannot hold it (then a tenth of that space, warned once). */
  #floor(size: number): number {
    const { minFreeBytes, budgetBytes } = this.#settings;
    if (minFreeBytes < size) return minFreeBytes;
    const clamped = Math.floor(size * CLAMPED_FLOOR_SHARE);
    this.#once('floor-clamped', () =>
      this.#log.warn(
        { minFreeBytes, spaceBytes: size, keptFreeBytes: clamped },
        `backlog.min_free_bytes (${formatSize(minFreeBytes)}) is not smaller than ${budgetBytes > 0 ? 'temp_dir_max_bytes' : 'the temp_dir filesystem'} (${formatSize(size)}); keeping a tenth of it (${formatSize(clamped)}) free instead. Set BACKLOG_MIN_FREE_BYTES (backlog.min_free_bytes) well below it`,
      ),
    );
    return clamped;
  }

  /** After ENOSPC: the floor, and at least room for the largest waiting segment, so recording can go on. */
  #headroom(floor: number): number {
    return Math.max(floor, ...this.#backlog.waiting().map((w) => w.size), 1);
  }

  /** Drops waiting segments (queued first, oldest first) until `need` bytes are freed; returns the bytes freed. */
  async #dropSegments(need: number, reason: DropReason): Promise<number> {
    let freed = 0;
    for (const segment of dropOrder(this.#backlog.waiting())) {
      if (freed >= need) break;
      if (await this.#backlog.drop(segment.path, reason)) freed += segment.size;
    }
    return freed;
  }

  /** Deletes the oldest files under `dir` until `need` bytes are freed; returns the bytes freed. */
  async #pruneFiles(dir: string, need: number, msg: string): Promise<number> {
    let freed = 0;
    for (const file of await listFiles(dir)) {
      if (freed >= need) break;
      const bytes = await removeFile(file);
      if (bytes > 0) this.#log.warn({ file: file.path, bytes }, msg);
      freed += bytes;
    }
    return freed;
  }

  async #pruneQuarantineByAge(now: number): Promise<void> {
    const { quarantineDir, quarantineMaxAgeMs } = this.#settings;
    for (const file of await listFiles(quarantineDir)) {
      if (now - file.mtimeMs <= quarantineMaxAgeMs) break; // oldest first
      if ((await removeFile(file)) > 0)
        this.#log.info(
          { file: file.path, bytes: file.bytes, ageHours: Math.round((now - file.mtimeMs) / 3_600_000) },
          'quarantined file deleted: older than backlog.quarantine_max_age',
        );
    }
  }

  #once(key: 'nothing-to-drop' | 'floor-clamped' | 'floor-storing', log: () => void): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    log();
  }
}

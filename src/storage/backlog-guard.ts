// Keeps the local backlog under its cap and the disk above its floor by dropping the oldest
// waiting segment. Dropping loses footage, so it is the last resort: recording must never stop
// because the store has been down for a long time.
import { statfs } from 'node:fs/promises';
import type { Logger } from '../logger.ts';
import type { Uploader } from './uploader.ts';

export interface BacklogSettings {
  tempDir: string;
  maxBytes: number;
  minFreeBytes: number;
  checkIntervalMs: number;
}

export class BacklogGuard {
  #settings: BacklogSettings;
  #uploader: Uploader;
  #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #warnedNothingToDrop = false;

  constructor(settings: BacklogSettings, uploader: Uploader, log: Logger) {
    this.#settings = settings;
    this.#uploader = uploader;
    this.#log = log;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.check(), this.#settings.checkIntervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One pass; exposed so tests and the uploader's callers can force it. Never runs twice at once. */
  check(): Promise<void> {
    this.#running = this.#running.then(() => this.#check()).catch((err) => this.#log.error({ err }, 'backlog check failed'));
    return this.#running;
  }

  async #check(): Promise<void> {
    const { maxBytes, minFreeBytes, tempDir } = this.#settings;
    if (maxBytes > 0) {
      let waiting = this.#uploader.waiting();
      let total = waiting.reduce((sum, s) => sum + s.size, 0);
      while (total > maxBytes && waiting.length > 0) {
        const oldest = waiting.shift()!;
        if (await this.#uploader.drop(oldest.path, 'backlog_cap')) total -= oldest.size;
      }
    }
    if (minFreeBytes > 0) {
      for (;;) {
        const fs = await statfs(tempDir);
        const free = fs.bavail * fs.bsize;
        if (free >= minFreeBytes) {
          this.#warnedNothingToDrop = false;
          return;
        }
        const oldest = this.#uploader.waiting()[0];
        if (!oldest) {
          if (!this.#warnedNothingToDrop) this.#log.error({ freeBytes: free, minFreeBytes, tempDir }, 'disk almost full and no waiting segment to drop');
          this.#warnedNothingToDrop = true;
          return;
        }
        if (!(await this.#uploader.drop(oldest.path, 'disk_full'))) return;
      }
    }
  }
}

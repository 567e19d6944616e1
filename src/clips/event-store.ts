// Evidence-clip events, one small JSON file each next to the segments (temp_dir/.events), so a
// pending event survives a restart. Writes are atomic (temp file, then rename).
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EVENT_ID, type FramesMode } from './event-request.ts';

export type EventStatus = 'pending' | 'done' | 'failed';

export interface EventRecord {
  id: string;
  camera: string;
  /** ISO 8601 UTC. */
  at: string;
  pre_seconds: number;
  post_seconds: number;
  metadata: unknown;
  status: EventStatus;
  created_at: string;
  updated_at: string;
  clip?: {
    key: string;
    metadata_key: string;
    from: string;
    to: string;
    duration_seconds: number;
    gaps: { from: string; to: string }[];
  };
  /** Evidence frames asked for, and how they are placed (absent in events of older versions: none). */
  frames_requested?: number;
  frames_mode?: FramesMode;
  /** The evidence frames stored, once done: their keys and when each was taken (ISO 8601 UTC). */
  frames?: EventFrame[];
  /** Tries that failed for a reason other than the store; the event fails at events.max_attempts. */
  attempts?: number;
  /** Why the event failed, or why the last try did while it is pending. */
  error?: string;
}

export interface EventFrame {
  key: string;
  at: string;
}

/** An event could not be written: the disk is full (`full`) or failing. The API answers 507 or 503. */
export class EventDiskError extends Error {
  readonly full: boolean;
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'EventDiskError';
    const code = (options.cause as NodeJS.ErrnoException).code;
    this.full = code === 'ENOSPC' || code === 'EDQUOT';
  }
}

/** Finished events are kept this long for GET /api/events/{id}, then forgotten (their clips stay in the bucket). */
const KEEP_FINISHED_MS = 7 * 86_400_000;

export class EventStore {
  readonly dir: string;
  #events = new Map<string, EventRecord>();
  /** Events being added: a second add of the same id waits for the first instead of saving again. */
  #adding = new Map<string, Promise<{ record: EventRecord; duplicate: boolean }>>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Loads every event left by earlier runs and forgets finished ones older than a week. */
  async load(now: number): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.json')) {
        if (name.includes('.tmp')) await rm(join(this.dir, name), { force: true });
        continue;
      }
      try {
        const rec = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as EventRecord;
        if (rec.status !== 'pending' && now - Date.parse(rec.updated_at) > KEEP_FINISHED_MS) await rm(join(this.dir, name), { force: true });
        else this.#events.set(rec.id, rec);
      } catch {
        await rename(join(this.dir, name), join(this.dir, `${name}.unreadable`)).catch(() => undefined);
      }
    }
  }

  get(id: string): EventRecord | undefined {
    return EVENT_ID.test(id) ? this.#events.get(id) : undefined;
  }

  /**
   * Saves a new event, unless one with its id exists: then that one is returned as a duplicate and
   * nothing is written. Two adds of one id at once save it once (the second waits for the first),
   * and an event an earlier run left on disk counts even before load() has read it (the API takes
   * events while the recorder is still starting).
   */
  add(rec: EventRecord): Promise<{ record: EventRecord; duplicate: boolean }> {
    const known = this.#events.get(rec.id);
    if (known) return Promise.resolve({ record: known, duplicate: true });
    const adding = this.#adding.get(rec.id);
    if (adding) return adding.then(({ record }) => ({ record, duplicate: true }));
    const added = this.#addNew(rec).finally(() => this.#adding.delete(rec.id));
    this.#adding.set(rec.id, added);
    return added;
  }

  async #addNew(rec: EventRecord): Promise<{ record: EventRecord; duplicate: boolean }> {
    const onDisk = await this.#read(`${rec.id}.json`);
    if (onDisk?.id === rec.id) {
      this.#events.set(rec.id, onDisk);
      return { record: onDisk, duplicate: true };
    }
    await this.save(rec);
    return { record: rec, duplicate: false };
  }

  /** The record in a file of the events dir; undefined when there is none (a file that cannot be read is load()'s to set aside). */
  async #read(name: string): Promise<EventRecord | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, name), 'utf8')) as EventRecord;
    } catch {
      return undefined;
    }
  }

  pending(): EventRecord[] {
    return [...this.#events.values()].filter((e) => e.status === 'pending').sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }

  async save(rec: EventRecord): Promise<void> {
    const path = join(this.dir, `${rec.id}.json`);
    try {
      await writeFile(`${path}.tmp`, JSON.stringify(rec, null, 2));
      await rename(`${path}.tmp`, path);
    } catch (err) {
      // A full disk leaves the temp file created but empty: remove it, it would only take an inode.
      await rm(`${path}.tmp`, { force: true }).catch(() => undefined);
      throw new EventDiskError(`cannot write event ${rec.id} to ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
    this.#events.set(rec.id, rec);
  }
}

// Independent witness of "segment closed": watches each camera's segment list (ffmpeg appends a
// line only after it has closed a segment) and timestamps every new line when it appears.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { parseLine } from '../../src/camera/segment-list.ts';
import { LIST_DIR, LIST_NAME, listPathOf } from '../../src/camera/recorder.ts';

export interface ClosedSegment {
  camera: string;
  name: string;
  durationSec: number;
  /** When the line was seen (ms since the epoch). */
  t: number;
}

export class SegmentTap {
  readonly closed: ClosedSegment[] = [];
  #watchers = new Map<string, FSWatcher>();
  #offsets = new Map<string, number>();
  #inodes = new Map<string, number>();
  #partial = new Map<string, string>();
  #timer: NodeJS.Timeout;
  #busy = new Map<string, Promise<void>>();
  #listeners = new Set<(s: ClosedSegment) => void>();

  readonly tempDir: string;
  readonly cameras: string[];

  constructor(tempDir: string, cameras: string[], pollMs = 250) {
    this.tempDir = tempDir;
    this.cameras = cameras;
    // fs.watch (inotify) reacts at once; the poll covers directories that do not exist yet and missed events
    this.#timer = setInterval(() => {
      for (const c of cameras) {
        this.#ensureWatch(c);
        this.#read(c);
      }
    }, pollMs);
  }

  onClosed(fn: (s: ClosedSegment) => void): void {
    this.#listeners.add(fn);
  }

  #ensureWatch(camera: string): void {
    if (this.#watchers.has(camera)) return;
    const dir = join(this.tempDir, camera, LIST_DIR);
    if (!existsSync(dir)) return;
    try {
      const w = watch(dir, (_event, file) => {
        if (file === LIST_NAME) this.#read(camera);
      });
      w.on('error', () => undefined);
      this.#watchers.set(camera, w);
    } catch {
      // retried at the next poll
    }
  }

  #read(camera: string): void {
    const prev = this.#busy.get(camera) ?? Promise.resolve();
    this.#busy.set(
      camera,
      prev.then(() => this.#readNow(camera)).catch(() => undefined),
    );
  }

  async #readNow(camera: string): Promise<void> {
    const path = listPathOf(join(this.tempDir, camera));
    let handle;
    try {
      handle = await open(path, 'r');
    } catch {
      return;
    }
    try {
      const st = await handle.stat();
      const size = st.size;
      let offset = this.#offsets.get(camera) ?? 0;
      if (size < offset || this.#inodes.get(camera) !== st.ino) {
        // the recorder removes the list at every ffmpeg start: a new file
        offset = 0;
        this.#partial.set(camera, '');
        this.#inodes.set(camera, st.ino);
      }
      if (size === offset) return;
      const buf = Buffer.alloc(size - offset);
      const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
      const t = Date.now();
      this.#offsets.set(camera, offset + bytesRead);
      const lines = ((this.#partial.get(camera) ?? '') + buf.subarray(0, bytesRead).toString('utf8')).split('\n');
      this.#partial.set(camera, lines.pop() ?? '');
      for (const line of lines) {
        const seg = parseLine(line);
        if (!seg) continue;
        const closed = { camera, name: seg.name, durationSec: seg.durationSec, t };
        this.closed.push(closed);
        for (const fn of this.#listeners) fn(closed);
      }
    } finally {
      await handle.close();
    }
  }

  close(): void {
    clearInterval(this.#timer);
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }
}

// The test side of stuck-ffmpeg.mjs (an ffmpeg that ignores SIGINT, or opens a frameless segment):
// where it is, how to give it its orders, and what it wrote down.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const STUCK_FFMPEG = join(import.meta.dirname, 'stuck-ffmpeg.mjs');

export type StuckMode = 'stall-after-progress' | 'silent' | 'record' | 'empty-segment' | 'header-segment';
/** Modes that ignore SIGINT: only SIGKILL ends them. */
export const IGNORES_SIGINT: readonly StuckMode[] = ['stall-after-progress', 'silent'];

export interface JournalLine {
  pid: number;
  event: string;
  mode?: StuckMode;
  name?: string;
}

/** Orders for the fixture runs of the recorder whose temp_dir is `tempDir`: one mode per start, the last repeated. */
export function planRuns(tempDir: string, runs: StuckMode[]): void {
  writeFileSync(join(tempDir, 'stuck-ffmpeg.json'), JSON.stringify({ runs }));
}

/** Every start, signal and exit the fixture wrote down, in order. */
export function readJournal(tempDir: string): JournalLine[] {
  const path = join(tempDir, 'stuck-ffmpeg.log');
  return existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as JournalLine)
    : [];
}

/** Whether a process with this pid exists (kill(pid, 0) fails with ESRCH once it is gone and reaped). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

// Segments left in temp_dir by an earlier run (uploaded too late, or cut short by a crash).
// Once an orphaned ffmpeg of an earlier run is stopped, every .mp4 found is closed and can be uploaded:
// a fragmented MP4 cut by SIGKILL still plays up to its last fragment.
import { readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CAMERA_ID } from '../config/schema.ts';
import { startFromFileName } from '../camera/segment-name.ts';
import type { FinishedSegment } from '../segment.ts';
import { stopOrphan } from '../camera/ffmpeg-pidfile.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { holdsNoFrame } from '../media/mp4-structure.ts';

/**
 * Stops the ffmpegs an earlier run left recording, then lists what is left to upload. A file with
 * no frame (an ffmpeg stopped right after opening it) holds nothing to lose: removed, not uploaded
 * or quarantined.
 */
export async function findLeftovers(tempDir: string, deps: { clock: Clock; log: Logger; timeoutMs: number }): Promise<FinishedSegment[]> {
  for (const cameraId of await cameraDirs(tempDir)) await stopOrphan(join(tempDir, cameraId), deps);
  const found: FinishedSegment[] = [];
  for (const segment of await listSegments(tempDir)) {
    if (await holdsNoFrame(segment.path).catch(() => false)) {
      await rm(segment.path, { force: true });
      deps.log.info({ camera: segment.cameraId, file: basename(segment.path) }, 'segment left by an earlier run holds no frame; removed');
    } else {
      found.push(segment);
    }
  }
  return found;
}

/** Every segment file in the cameras' folders, oldest first: what a start would upload. */
export async function listSegments(tempDir: string): Promise<FinishedSegment[]> {
  const found: FinishedSegment[] = [];
  for (const cameraId of await cameraDirs(tempDir)) {
    let names: string[];
    try {
      names = await readdir(join(tempDir, cameraId));
    } catch {
      continue; // not a directory
    }
    for (const name of names) {
      const startMs = startFromFileName(name);
      if (startMs !== undefined) found.push({ cameraId, path: join(tempDir, cameraId, name), startMs, listedDurationSec: undefined });
    }
  }
  return found.sort((a, b) => a.startMs - b.startMs);
}

async function cameraDirs(tempDir: string): Promise<string[]> {
  try {
    return (await readdir(tempDir)).filter((c) => CAMERA_ID.test(c));
  } catch {
    return [];
  }
}

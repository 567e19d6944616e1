// Segments left in temp_dir by an earlier run (uploaded too late, or cut short by a crash).
// Once an orphaned ffmpeg of an earlier run is stopped, every .mp4 found is closed and can be uploaded:
// a fragmented MP4 cut by SIGKILL still plays up to its last fragment.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CAMERA_ID } from '../config/schema.ts';
import { startFromFileName } from '../camera/segment-name.ts';
import type { FinishedSegment } from '../segment.ts';
import { stopOrphan } from '../camera/ffmpeg-pidfile.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';

/** Stops the ffmpegs an earlier run left recording, then lists what is left to upload. */
export async function findLeftovers(tempDir: string, deps: { clock: Clock; log: Logger; timeoutMs: number }): Promise<FinishedSegment[]> {
  for (const cameraId of await cameraDirs(tempDir)) await stopOrphan(join(tempDir, cameraId), deps);
  return listSegments(tempDir);
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

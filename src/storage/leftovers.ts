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

export async function findLeftovers(tempDir: string, deps: { clock: Clock; log: Logger; timeoutMs: number }): Promise<FinishedSegment[]> {
  let cameras: string[];
  try {
    cameras = await readdir(tempDir);
  } catch {
    return [];
  }
  const found: FinishedSegment[] = [];
  for (const cameraId of cameras.filter((c) => CAMERA_ID.test(c))) {
    await stopOrphan(join(tempDir, cameraId), deps);
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

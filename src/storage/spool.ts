// What TEMP_DIR holds, measured the way the kubelet measures an emptyDir (allocated blocks, as `du`
// does), because statfs of an emptyDir reports the node's disk, not the volume's sizeLimit.
import { readdir, lstat, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface SpoolAreas {
  /** Segments being recorded and waiting for upload (the camera folders), and ffmpeg's lists. */
  segments: number;
  clips: number;
  quarantine: number;
  events: number;
}

export interface SpoolFile {
  path: string;
  bytes: number;
  mtimeMs: number;
}

export interface SpoolDirs {
  tempDir: string;
  quarantineDir: string;
  clipsDir: string;
  eventsDir: string;
}

/** Every regular file under `dir`, oldest first. A missing folder is empty; files that vanish meanwhile are skipped. */
export async function listFiles(dir: string): Promise<SpoolFile[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  const files: SpoolFile[] = [];
  for (const e of entries) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    try {
      const st = await lstat(path);
      files.push({ path, bytes: st.blocks * 512, mtimeMs: st.mtimeMs });
    } catch {
      // uploaded, dropped or renamed while we looked
    }
  }
  return files.sort((a, b) => a.mtimeMs - b.mtimeMs);
}

/** Bytes used under temp_dir, by area. */
export async function measureSpool(dirs: SpoolDirs): Promise<{ total: number; areas: SpoolAreas }> {
  const areas: SpoolAreas = { segments: 0, clips: 0, quarantine: 0, events: 0 };
  const inside = (path: string, dir: string): boolean => {
    const r = relative(dir, path);
    return r !== '' && !r.startsWith(`..${sep}`) && r !== '..';
  };
  let total = 0;
  for (const f of await listFiles(dirs.tempDir)) {
    total += f.bytes;
    if (inside(f.path, dirs.clipsDir)) areas.clips += f.bytes;
    else if (inside(f.path, dirs.quarantineDir)) areas.quarantine += f.bytes;
    else if (inside(f.path, dirs.eventsDir)) areas.events += f.bytes;
    else areas.segments += f.bytes;
  }
  return { total, areas };
}

/** Deletes one file; returns the bytes it held, 0 when it was already gone. */
export async function removeFile(file: SpoolFile): Promise<number> {
  try {
    await rm(file.path);
    return file.bytes;
  } catch {
    return 0;
  }
}

// Large, valid segments for the upload benchmark: a 20 s 1080p H.264+AAC fragmented MP4 made once,
// then looped with stream copy (no re-encoding) up to the wanted size, in the recorder's format.
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const FRAG = '+frag_keyframe+empty_moov+default_base_moof';

export async function makeBase(dir: string): Promise<string> {
  const base = join(dir, 'base.mp4');
  if (existsSync(base)) return base;
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=15:duration=20',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=20',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '4M', '-g', '30', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '32k',
    '-movflags', FRAG, '-f', 'mp4', base]);
  return base;
}

/** A fragmented MP4 of about `mib` MiB (ffmpeg stops at the first fragment past the size). */
export async function makeSegment(dir: string, mib: number, tag = ''): Promise<{ path: string; size: number }> {
  const path = join(dir, `segment-${mib}MiB${tag}.mp4`);
  if (!existsSync(path)) {
    const base = await makeBase(dir);
    // biome-ignore format: ffmpeg arguments read as flag-value pairs
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-stream_loop', '-1', '-i', base, '-c', 'copy',
      '-fs', String(mib * 2 ** 20), '-movflags', FRAG, '-f', 'mp4', path]);
  }
  return { path, size: statSync(path).size };
}

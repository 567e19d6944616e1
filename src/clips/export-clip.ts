// Cuts and joins stored segments into one normal, seekable MP4 (faststart) with stream copy: no
// re-encode, so the start snaps back to the key frame at or before the asked time.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { childEnv } from '../child-env.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { probe } from '../media/ffprobe.ts';
import { ClipError } from './clip-error.ts';
import { findSegments, type Gap, type StoredSegmentInfo } from './find-segments.ts';

export interface ClipRequest {
  store: ObjectStore;
  cameraId: string;
  fromMs: number;
  toMs: number;
  /** Where the finished MP4 goes (written to a temp name, then renamed). */
  outPath: string;
  ffmpegPath: string;
  ffprobePath: string;
  /** Scratch space for downloaded segments; default: the OS temp dir. */
  workDir?: string;
  signal?: AbortSignal;
}

export interface ClipResult {
  path: string;
  /** Real bounds of the clip: the start is the key frame at or before the asked start. */
  fromMs: number;
  toMs: number;
  durationSec: number;
  gaps: Gap[];
  segments: StoredSegmentInfo[];
}

export async function exportClip(req: ClipRequest): Promise<ClipResult> {
  const { segments, gaps } = await findSegments(req.store, req.cameraId, req.fromMs, req.toMs, req.signal);
  if (segments.length === 0) {
    throw new ClipError(`no footage of ${req.cameraId} between ${new Date(req.fromMs).toISOString()} and ${new Date(req.toMs).toISOString()}`, 'no-footage');
  }
  const work = await mkdtemp(join(req.workDir ?? tmpdir(), 'clip-'));
  try {
    const files: string[] = [];
    for (const [i, s] of segments.entries()) {
      const file = join(work, `${String(i).padStart(4, '0')}.mp4`);
      await pipeline(await req.store.read(s.key, req.signal), createWriteStream(file), { signal: req.signal });
      files.push(file);
    }
    const first = segments[0]!;
    const last = segments.at(-1)!;
    const askedIn = Math.max(0, (req.fromMs - first.startMs) / 1000);
    const keyIn = askedIn > 0 ? await keyFrameAtOrBefore(files[0]!, askedIn, req) : 0;
    const outSec = last.endMs > req.toMs ? (req.toMs - last.startMs) / 1000 : undefined;
    const list = files
      .map((f, i) =>
        [
          `file '${f}'`,
          ...(i === 0 && keyIn > 0 ? [`inpoint ${keyIn.toFixed(6)}`] : []),
          ...(i === files.length - 1 && outSec !== undefined ? [`outpoint ${outSec.toFixed(6)}`] : []),
        ].join('\n'),
      )
      .join('\n');
    await writeFile(join(work, 'list.txt'), `${list}\n`);
    const tmpOut = join(work, 'out.mp4');
    // biome-ignore format: ffmpeg arguments read as flag-value pairs
    const result = await execa(req.ffmpegPath, [
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      '-f', 'concat', '-safe', '0', '-i', join(work, 'list.txt'),
      '-map', '0', '-c', 'copy',
      '-movflags', '+faststart', // moov first: plays in a browser while it downloads
      '-y', tmpOut,
    ], { ...childEnv(), reject: false, stdin: 'ignore', ...(req.signal ? { cancelSignal: req.signal } : {}) });
    req.signal?.throwIfAborted(); // cancelled: ffmpeg has been killed and waited for; the finally removes its files
    if (result.failed) throw new Error(`ffmpeg could not join the segments: ${String(result.stderr).trim().split('\n').slice(-3).join(' | ')}`);
    const probed = await probe(tmpOut, { ffprobePath: req.ffprobePath, timeoutMs: 60_000 });
    await rename(tmpOut, req.outPath).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EXDEV') throw err;
      await pipeline(createReadStream(tmpOut), createWriteStream(req.outPath));
    });
    return {
      path: req.outPath,
      fromMs: Math.round(first.startMs + keyIn * 1000),
      toMs: Math.min(req.toMs, last.endMs),
      durationSec: probed.durationSec ?? 0,
      gaps,
      segments,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Time (s) of the last video key frame at or before `t` in a file. Reads packet flags only: no decoding. */
async function keyFrameAtOrBefore(file: string, t: number, req: ClipRequest): Promise<number> {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  const result = await execa(req.ffprobePath, [
    '-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', file,
  ], { ...childEnv(), reject: false, stdin: 'ignore', maxBuffer: 64 * 1024 * 1024, ...(req.signal ? { cancelSignal: req.signal } : {}) });
  req.signal?.throwIfAborted();
  if (result.failed) throw new Error(`ffprobe could not read key frames of a segment: ${String(result.stderr).trim()}`);
  let best = 0;
  for (const line of String(result.stdout).split('\n')) {
    const [pts, flags] = line.split(',');
    const time = Number(pts);
    if (flags?.includes('K') && Number.isFinite(time) && time <= t + 1e-3 && time > best) best = time;
  }
  return best;
}

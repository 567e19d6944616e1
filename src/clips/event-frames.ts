// Evidence frames: N PNG pictures taken from an event's clip once it is made. Where they fall is
// pure arithmetic on wall-clock times (frameTimes); the clip joins segments and skips gaps, so a
// wall time is mapped to a position in the clip through the segments it joined (clipPosition),
// then snapped to a real frame of the clip (ffprobe reads the packet times, no decoding).
// One ffmpeg run takes them all with a select filter: one decoder, whatever N, from the clip's
// start to the last frame taken. An input seek per frame (-ss before -i, N inputs) decodes less
// but holds N decoders at once: 460 MB for 16 frames of 1080p against 110 MB (DESIGN.md).
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { childEnv } from '../child-env.ts';
import type { FramesMode } from './event-request.ts';

/** A joined segment as the clip holds it: wall-clock bounds of its footage in the clip. */
export interface ClipPiece {
  fromMs: number;
  toMs: number;
}

export interface FrameShot {
  /** The PNG written. */
  path: string;
  /** When the frame was taken (wall clock). */
  atMs: number;
}

/** `before` frames are this far apart, or closer when pre_seconds is shorter than N − 1 of them. */
const BEFORE_STEP_MS = 1000;

/**
 * Wall-clock times of `n` frames for an event at `atMs` with the window [fromMs, toMs]: `spread`
 * takes the middle of each of n equal slices of the window (never its very ends, where the clip may
 * have no frame yet or any more); `before` one a second, the last at `atMs`.
 */
export function frameTimes(mode: FramesMode, n: number, atMs: number, fromMs: number, toMs: number): number[] {
  if (n <= 0) return [];
  if (mode === 'spread') return Array.from({ length: n }, (_, k) => fromMs + ((k + 0.5) * (toMs - fromMs)) / n);
  const step = n === 1 ? 0 : Math.min(BEFORE_STEP_MS, (atMs - fromMs) / (n - 1));
  return Array.from({ length: n }, (_, k) => atMs - (n - 1 - k) * step);
}

/**
 * Where a wall time lies in a clip joined from `pieces` (in order, gaps between them skipped):
 * seconds from the clip's start, and the wall time actually shown there. A time in a gap takes the
 * footage just after it; a time past the end, the clip's last moment.
 */
export function clipPosition(pieces: readonly ClipPiece[], atMs: number): { offsetSec: number; atMs: number } {
  let offsetMs = 0;
  for (const p of pieces) {
    if (atMs < p.fromMs) return { offsetSec: offsetMs / 1000, atMs: p.fromMs };
    if (atMs < p.toMs) return { offsetSec: (offsetMs + atMs - p.fromMs) / 1000, atMs };
    offsetMs += p.toMs - p.fromMs;
  }
  return { offsetSec: offsetMs / 1000, atMs: pieces.at(-1)?.toMs ?? atMs };
}

/** The frame on screen at `offsetSec`: the last one at or before it (the first, before any). */
export function frameAt(frameTimesSec: readonly number[], offsetSec: number): number {
  let best = frameTimesSec[0] ?? 0;
  for (const t of frameTimesSec) if (t <= offsetSec + 1e-6 && t > best) best = t;
  return best;
}

export interface FrameRequest {
  clipPath: string;
  /** The clip's pieces, as clipPosition reads them. */
  pieces: readonly ClipPiece[];
  /** Wall times asked for (frameTimes). */
  times: readonly number[];
  outDir: string;
  ffmpegPath: string;
  ffprobePath: string;
  signal?: AbortSignal;
}

/** Writes `frame-01.png` … into outDir, one per time asked, in time order. Throws when ffmpeg does not make them all. */
export async function extractFrames(req: FrameRequest): Promise<FrameShot[]> {
  if (req.times.length === 0) return [];
  const { startSec, frames } = await videoFrameTimes(req);
  if (frames.length === 0) throw new Error('the clip has no video frames to take evidence frames from');
  await mkdir(req.outDir, { recursive: true });
  const width = Math.max(2, String(req.times.length).length);
  const shots = [...req.times]
    .sort((a, b) => a - b)
    .map((t, i) => {
      const wanted = clipPosition(req.pieces, t);
      const frame = frameAt(frames, startSec + wanted.offsetSec);
      return {
        path: join(req.outDir, `frame-${String(i + 1).padStart(width, '0')}.png`),
        atMs: Math.round(wanted.atMs + (frame - startSec - wanted.offsetSec) * 1000),
        frame,
      };
    });
  // Two asked times on one frame (a short window, a slow camera) take it once and store it twice.
  const unique = [...new Set(shots.map((s) => s.frame))];
  const pattern = join(req.outDir, 'take-%03d.png');
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-i', req.clipPath, '-map', '0:v:0',
    '-vf', `select='${selectFirstAtOrAfter(unique.map((f) => f - startSec))}'`, '-fps_mode', 'passthrough',
    '-frames:v', String(unique.length), // stops decoding after the last one
    '-y', pattern,
  ];
  const result = await execa(req.ffmpegPath, args, { ...childEnv(), reject: false, stdin: 'ignore', ...(req.signal ? { cancelSignal: req.signal } : {}) });
  req.signal?.throwIfAborted();
  if (result.failed) throw new Error(`ffmpeg could not take the evidence frames: ${String(result.stderr).trim().split('\n').slice(-3).join(' | ')}`);
  for (const s of shots) {
    const taken = join(req.outDir, `take-${String(unique.indexOf(s.frame) + 1).padStart(3, '0')}.png`);
    await copyFile(taken, s.path).catch(() => {
      throw new Error(`ffmpeg wrote no evidence frame at ${(s.frame - startSec).toFixed(3)} s of the clip`);
    });
  }
  return shots.map(({ path, atMs }) => ({ path, atMs }));
}

/**
 * A select filter expression passing, for each time (s from the clip's start, ascending, at least
 * a frame apart), the first frame at or after it. The filter's `t` counts from the file's start
 * time as ffprobe's pts_time minus start_time does; half a millisecond of slack against rounding.
 */
export function selectFirstAtOrAfter(times: readonly number[]): string {
  const at = (t: number): string => Math.max(0, t - 0.0005).toFixed(6);
  return times.map((t, i) => `gte(t,${at(t)})*${i === 0 ? 'isnan(prev_selected_t)' : `lt(prev_selected_t,${at(t)})`}`).join('+');
}

/** The clip's start time and its video frames' times (s), sorted: packet headers only, no decoding. */
async function videoFrameTimes(req: FrameRequest): Promise<{ startSec: number; frames: number[] }> {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  const result = await execa(req.ffprobePath, [
    '-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time:format=start_time', '-of', 'json', req.clipPath,
  ], { ...childEnv(), reject: false, stdin: 'ignore', maxBuffer: 64 * 1024 * 1024, ...(req.signal ? { cancelSignal: req.signal } : {}) });
  req.signal?.throwIfAborted();
  if (result.failed) throw new Error(`ffprobe could not read the clip's frames: ${String(result.stderr).trim()}`);
  const out = JSON.parse(String(result.stdout)) as { packets?: { pts_time?: string }[]; format?: { start_time?: string } };
  const frames = (out.packets ?? [])
    .map((p) => Number(p.pts_time))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  return { startSec: Number(out.format?.start_time) || 0, frames };
}

/** The pieces of a clip exportClip made: its segments, the first from the clip's real start, the last to its end. */
export function clipPieces(clip: { fromMs: number; toMs: number; segments: readonly { startMs: number; endMs: number }[] }): ClipPiece[] {
  return clip.segments.map((s, i, all) => ({ fromMs: i === 0 ? clip.fromMs : s.startMs, toMs: i === all.length - 1 ? clip.toMs : s.endMs }));
}

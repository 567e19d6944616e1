// Real gray frames for the frame-analysis tests: ffmpeg renders a lavfi source to 320×180 8-bit luma.
import { execFileSync } from 'node:child_process';
import type { GrayFrame } from '../../src/frames/frame.ts';

export const WIDTH = 320;
export const HEIGHT = 180;
/** one key frame every 2 s, as from a camera with a 2 s GOP */
export const KEY_FRAME_MS = 2000;

/**
 * `count` frames of a lavfi source graph (e.g. `testsrc2=rate=0.5`, one picture per 2 s of its own
 * time), converted to gray 320×180. `filters` runs before the conversion (e.g. `gblur=sigma=6`).
 */
export function lavfiFrames(source: string, count: number, filters = '', width = WIDTH, height = HEIGHT): Uint8Array[] {
  const vf = [filters, `scale=${width}:${height}:flags=fast_bilinear`, 'format=gray'].filter(Boolean).join(',');
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  const raw = execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', source,
    '-vf', vf, '-frames:v', String(count), '-f', 'rawvideo', '-pix_fmt', 'gray', '-',
  ], { maxBuffer: 64 * 1024 * 1024 });
  const size = width * height;
  if (raw.length !== size * count) throw new Error(`ffmpeg gave ${raw.length} bytes for ${count} frames of ${source}; expected ${size * count}`);
  return Array.from({ length: count }, (_, i) => new Uint8Array(raw.buffer, raw.byteOffset + i * size, size));
}

/** Stamps pictures as consecutive key frames starting at `startMs`. */
export function asKeyFrames(pictures: readonly Uint8Array[], startMs: number, width = WIDTH, height = HEIGHT): GrayFrame[] {
  return pictures.map((data, i) => ({ width, height, data, capturedAt: startMs + i * KEY_FRAME_MS }));
}

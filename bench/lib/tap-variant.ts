// One camera's ffmpeg and the Node process that reads it, in one of the frame-tap benchmark's
// shapes (bench/frame-tap.ts): recording only, plus the key-frame gray tap, plus a JPEG per key
// frame. Run as its own process so its CPU is its own:
//   node bench/lib/tap-variant.ts <variant> <rtsp url> <out dir>
// Prints one JSON line of counts when it gets SIGTERM, then exits once ffmpeg has.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ffmpegArgs, jpegTapArgs } from '../../src/camera/ffmpeg-args.ts';
import { FrameTap } from '../../src/frames/frame-tap.ts';
import { JpegTap } from '../../src/frames/jpeg-tap.ts';

export const VARIANTS = ['record', 'gray', 'gray+jpeg640', 'gray+jpeg1080'] as const;
export type Variant = (typeof VARIANTS)[number];

const TAP = { width: 320, height: 180, pipeFd: 3 };
const JPEG_FD = 4;

/** The service's snapshot branch on pipe:4 (width 0: full size, no scale filter). */
const jpegArgs = (width: number | undefined): string[] => jpegTapArgs({ width: width ?? 0, pipeFd: JPEG_FD });

function argsOf(variant: Variant, url: string, outDir: string): string[] {
  const base = ffmpegArgs({
    url,
    audio: 'none',
    segmentSeconds: 10,
    rtspTimeoutMs: 10_000,
    outDir,
    listPath: join(outDir, 'segments.csv'),
    ...(variant === 'record' ? {} : { frames: TAP }),
  });
  if (variant === 'gray+jpeg640') return [...base, ...jpegArgs(640)];
  if (variant === 'gray+jpeg1080') return [...base, ...jpegArgs(undefined)];
  return base;
}

if (import.meta.main) {
  const [variant, url, outDir] = process.argv.slice(2) as [Variant, string, string];
  if (!VARIANTS.includes(variant)) throw new Error(`tap-variant: unknown variant ${variant} (${VARIANTS.join(', ')})`);
  mkdirSync(outDir, { recursive: true });
  const ffmpeg = spawn('ffmpeg', argsOf(variant, url, outDir), {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    env: { TZ: 'UTC', PATH: process.env.PATH },
  });
  // Progress read as the recorder reads it, so every variant's Node does the same baseline work.
  ffmpeg.stdout?.setEncoding('utf8').resume();
  let stderr = '';
  ffmpeg.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-2000);
  });
  let luma = 0;
  const tap =
    variant === 'record'
      ? undefined
      : new FrameTap(ffmpeg.stdio[3] as Readable, {
          width: TAP.width,
          height: TAP.height,
          onError: (err) => process.stderr.write(`${String(err)}\n`),
          onFrame: (f) => {
            luma = f.data[f.data.length >> 1] ?? 0;
          },
        });
  const snapshots = variant.includes('jpeg') ? new JpegTap(ffmpeg.stdio[4] as Readable) : undefined;
  process.once('SIGTERM', () => ffmpeg.kill('SIGINT'));
  ffmpeg.once('exit', (code, signal) => {
    const counts = {
      variant,
      code,
      signal,
      frames: tap?.received ?? 0,
      dropped: tap?.dropped ?? 0,
      luma,
      jpegs: snapshots?.received ?? 0,
      lastJpegBytes: snapshots?.latest?.jpeg.length ?? 0,
      stderr: stderr.trim().split('\n').slice(-3),
    };
    process.stdout.write(`${JSON.stringify(counts)}\n`);
    process.exit(0);
  });
}

// `camera-recorder clips list|export`: find and cut footage straight from the bucket.
import { resolve } from 'node:path';
import { ClipError } from '../clips/clip-error.ts';
import { exportClip } from '../clips/export-clip.ts';
import { findSegments } from '../clips/find-segments.ts';
import { parseRange } from '../clips/instant.ts';
import type { Config } from '../config/schema.ts';
import { CAMERA_ID } from '../config/schema.ts';
import { FilesystemStore } from '../storage/fs-store.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { S3Store } from '../storage/s3-store.ts';

export interface ClipsOptions {
  action: string | undefined;
  camera: string | undefined;
  from: string | undefined;
  to: string | undefined;
  output: string | undefined;
  json: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Runs the command; returns the exit code. Writes results to `out`, problems to `err`. */
export async function runClips(config: Config, o: ClipsOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  if (o.action !== 'list' && o.action !== 'export') {
    err.write(
      'camera-recorder clips: say "list" or "export", e.g. camera-recorder clips list --camera camera-1 --from 2025-12-14T14:00:00Z --to 2025-12-14T14:10:00Z\n',
    );
    return 2;
  }
  if (o.camera === undefined || !CAMERA_ID.test(o.camera)) {
    err.write('camera-recorder clips: --camera <id> is required (lowercase letters, digits and "-")\n');
    return 2;
  }
  if (o.action === 'export' && o.output === undefined) {
    err.write('camera-recorder clips export: -o <file.mp4> is required\n');
    return 2;
  }
  const store: ObjectStore = config.storage === 's3' ? new S3Store(config.s3) : new FilesystemStore(config.filesystem.root);
  try {
    const { fromMs, toMs } = parseRange(o.from, o.to, 7 * 86_400_000);
    if (o.action === 'list') {
      const { segments, gaps } = await findSegments(store, o.camera, fromMs, toMs);
      if (o.json) {
        out.write(
          `${JSON.stringify(
            {
              camera: o.camera,
              from: iso(fromMs),
              to: iso(toMs),
              segments: segments.map((s) => ({
                key: s.key,
                start: iso(s.startMs),
                end: iso(s.endMs),
                duration_seconds: (s.endMs - s.startMs) / 1000,
                size: s.size,
              })),
              gaps: gaps.map((g) => ({ from: iso(g.fromMs), to: iso(g.toMs) })),
            },
            null,
            2,
          )}\n`,
        );
      } else {
        const rows = segments.map((s) => [iso(s.startMs), iso(s.endMs), ((s.endMs - s.startMs) / 1000).toFixed(1), String(s.size), s.key]);
        out.write(table([['START', 'END', 'SECONDS', 'BYTES', 'KEY'], ...rows]));
        for (const g of gaps) out.write(`gap: no footage from ${iso(g.fromMs)} to ${iso(g.toMs)} (${((g.toMs - g.fromMs) / 1000).toFixed(1)} s)\n`);
        if (segments.length === 0) out.write('no segments in this range\n');
      }
      return 0;
    }
    const clip = await exportClip({
      store,
      cameraId: o.camera,
      fromMs,
      toMs,
      outPath: resolve(o.output!),
      ffmpegPath: config.recorder.ffmpegPath,
      ffprobePath: config.recorder.ffprobePath,
    });
    const report = {
      file: clip.path,
      from: iso(clip.fromMs),
      to: iso(clip.toMs),
      duration_seconds: clip.durationSec,
      // how much earlier the clip starts than asked (cuts land on key frames), and where it ends against the ask
      start_offset_seconds: (fromMs - clip.fromMs) / 1000,
      end_offset_seconds: (clip.toMs - toMs) / 1000,
      segments: clip.segments.length,
      gaps: clip.gaps.map((g) => ({ from: iso(g.fromMs), to: iso(g.toMs) })),
    };
    if (o.json) out.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      out.write(`wrote ${report.file}: ${report.from} to ${report.to} (${report.duration_seconds.toFixed(1)} s from ${report.segments} segments)\n`);
      out.write(
        `starts ${report.start_offset_seconds.toFixed(2)} s before the asked start (key frame); ends ${Math.abs(report.end_offset_seconds).toFixed(2)} s ${report.end_offset_seconds < 0 ? 'before' : 'after'} the asked end\n`,
      );
      for (const g of report.gaps) out.write(`gap: no footage from ${g.from} to ${g.to}\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof ClipError) {
      err.write(`camera-recorder clips: ${e.message}\n`);
      return e.problem === 'no-footage' ? 1 : 2;
    }
    throw e;
  } finally {
    store.close();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

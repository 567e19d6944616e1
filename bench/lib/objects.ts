// What the recorder stored: every object's metadata (HEAD), checked for continuity and durations,
// and a few objects downloaded and counted frame by frame with ffprobe.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { deleteKeys, head, listAll, pool } from './servers.ts';

const run = promisify(execFile);

export interface StoredObject {
  key: string;
  camera: string;
  startMs: number;
  endMs: number;
  durationSec: number;
  size: number;
}

/**
 * Follows a bucket while the recorder writes to it: HEADs every new object (metadata start, end,
 * duration, size) and deletes it, except the ones `keep` wants (memstore keeps objects in RAM).
 */
export class Janitor {
  readonly objects = new Map<string, StoredObject>();
  #deleted = new Set<string>();
  /** every key ever listed, so that "the second object of a camera" stays the same one after deletions */
  #seen = new Set<string>();

  readonly client: S3Client;
  readonly bucket: string;
  readonly keep: (key: string, camerasKeys: string[]) => boolean;

  constructor(client: S3Client, bucket: string, keep: (key: string, camerasKeys: string[]) => boolean = () => false) {
    this.client = client;
    this.bucket = bucket;
    this.keep = keep;
  }

  async pass(opts: { delete: boolean }): Promise<void> {
    const keys = (await listAll(this.client, this.bucket)).filter((k) => !this.#deleted.has(k));
    for (const k of keys) this.#seen.add(k);
    const fresh = keys.filter((k) => !this.objects.has(k));
    await pool(fresh, 8, async (key) => {
      const h = await head(this.client, this.bucket, key);
      if (!h) return;
      const m = h.metadata;
      this.objects.set(key, {
        key,
        camera: m.camera ?? key.split('/')[0] ?? '',
        startMs: Date.parse(m.start ?? ''),
        endMs: Date.parse(m.end ?? ''),
        durationSec: Number(m.duration),
        size: h.size,
      });
    });
    if (!opts.delete) return;
    // keep() sees every key of the camera listed so far, deleted ones included, in key order
    const byCamera = new Map<string, string[]>();
    for (const k of [...this.#seen].sort()) {
      const cam = k.split('/')[0] ?? '';
      byCamera.set(cam, [...(byCamera.get(cam) ?? []), k]);
    }
    const doomed = keys.filter((k) => this.objects.has(k) && !this.keep(k, byCamera.get(k.split('/')[0] ?? '') ?? []));
    await deleteKeys(this.client, this.bucket, doomed);
    for (const k of doomed) this.#deleted.add(k);
  }

  byCamera(): Map<string, StoredObject[]> {
    const out = new Map<string, StoredObject[]>();
    for (const o of this.objects.values()) out.set(o.camera, [...(out.get(o.camera) ?? []), o]);
    for (const list of out.values()) list.sort((a, b) => a.startMs - b.startMs);
    return out;
  }
}

export interface Continuity {
  cameras: number;
  objects: number;
  /** segments between the first (starts when ffmpeg connected) and the last (cut by the stop) of each camera */
  fullSegments: number;
  /** full segments whose duration differs from the target by more than the tolerance */
  badDurations: { key: string; durationSec: number }[];
  maxDurationDevSec: number;
  /** start of a segment minus end of the previous one, per consecutive pair */
  gaps: number[];
  badGaps: { key: string; gapSec: number }[];
  maxGapSec: number;
  minGapSec: number;
  /** cameras with fewer full segments than expected */
  shortCameras: { camera: string; full: number; expected: number }[];
}

/** Durations within `durationTolSec` of the target, and no gap larger than `gapTolSec` between consecutive segments. */
export function checkContinuity(
  byCamera: Map<string, StoredObject[]>,
  opts: { targetSec: number; durationTolSec: number; gapTolSec: number; expectedFull: number },
): Continuity {
  const c: Continuity = {
    cameras: byCamera.size,
    objects: 0,
    fullSegments: 0,
    badDurations: [],
    maxDurationDevSec: 0,
    gaps: [],
    badGaps: [],
    maxGapSec: -Infinity,
    minGapSec: Infinity,
    shortCameras: [],
  };
  for (const [camera, list] of byCamera) {
    c.objects += list.length;
    const full = list.slice(1, -1);
    c.fullSegments += full.length;
    if (full.length < opts.expectedFull) c.shortCameras.push({ camera, full: full.length, expected: opts.expectedFull });
    for (const s of full) {
      const dev = Math.abs(s.durationSec - opts.targetSec);
      c.maxDurationDevSec = Math.max(c.maxDurationDevSec, dev);
      if (!(dev <= opts.durationTolSec)) c.badDurations.push({ key: s.key, durationSec: s.durationSec });
    }
    for (let i = 1; i < list.length; i++) {
      const gap = ((list[i] as StoredObject).startMs - (list[i - 1] as StoredObject).endMs) / 1000;
      c.gaps.push(gap);
      c.maxGapSec = Math.max(c.maxGapSec, gap);
      c.minGapSec = Math.min(c.minGapSec, gap);
      if (!(gap <= opts.gapTolSec)) c.badGaps.push({ key: (list[i] as StoredObject).key, gapSec: gap });
    }
  }
  return c;
}

export interface DeepCheck {
  key: string;
  codecs: string[];
  videoPackets: number;
  durationSec: number;
  fps: number;
}

/** Downloads objects and counts their video packets with ffprobe (no decoding). */
export async function deepCheck(client: S3Client, bucket: string, keys: string[]): Promise<DeepCheck[]> {
  const dir = mkdtempSync(join(tmpdir(), 'camrec-bench-check-'));
  const out: DeepCheck[] = [];
  try {
    await pool(keys, 2, async (key) => {
      const obj = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const file = join(dir, key.replaceAll('/', '_'));
      writeFileSync(file, Buffer.from(await obj.Body!.transformToByteArray()));
      const { stdout } = await run(
        'ffprobe',
        ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_type,codec_name,nb_read_packets,duration:format=duration', '-of', 'json', file],
        { encoding: 'utf8' },
      );
      const j = JSON.parse(stdout) as {
        streams: { codec_type: string; codec_name: string; nb_read_packets?: string; duration?: string }[];
        format: { duration: string };
      };
      const video = j.streams.find((s) => s.codec_type === 'video');
      // the video stream's own span (the audio of a segment may start a little earlier)
      const durationSec = Number(video?.duration ?? j.format.duration);
      const videoPackets = Number(video?.nb_read_packets ?? 0);
      out.push({ key, codecs: j.streams.map((s) => s.codec_name), videoPackets, durationSec, fps: videoPackets / durationSec });
      rmSync(file, { force: true });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

export async function emptyAndForget(client: S3Client, bucket: string): Promise<void> {
  await deleteKeys(client, bucket, await listAll(client, bucket));
}

// An event's evidence in the store: the clip, its frames, then the JSON beside them that lists
// both with the event's metadata. The JSON goes last, so a reader who finds it finds everything
// it names; each object is verified as it is stored (storeFile).
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ObjectStore } from '../storage/object-store.ts';
import { storeFile } from '../storage/store-file.ts';
import type { FrameShot } from './event-frames.ts';
import type { EventFrame, EventRecord } from './event-store.ts';
import type { ClipResult } from './export-clip.ts';

/** `events/{camera}/{YYYYMMDD}/{HHMMSS}_{event_id}` (+ `.mp4` / `.json` / `/frame-{nn}.png`), from the event time in UTC. */
export function eventKeyBase(rec: Pick<EventRecord, 'camera' | 'at' | 'id'>): string {
  const iso = new Date(rec.at).toISOString();
  return `events/${rec.camera}/${iso.slice(0, 10).replaceAll('-', '')}/${iso.slice(11, 19).replaceAll(':', '')}_${rec.id}`;
}

export interface Evidence {
  rec: EventRecord;
  clipPath: string;
  clip: ClipResult;
  frames: readonly FrameShot[];
  /** Where the JSON is written before it is stored. */
  jsonPath: string;
  nowMs: number;
  signal: AbortSignal;
}

/** Stores it all and returns the event as done, naming every key. */
export async function storeEvidence(store: ObjectStore, e: Evidence): Promise<EventRecord> {
  const { rec, clip, signal } = e;
  const iso = (ms: number): string => new Date(ms).toISOString();
  const base = eventKeyBase(rec);
  const metadata = { camera: rec.camera, event: rec.id };
  const frames: EventFrame[] = e.frames.map((f) => ({ key: `${base}/${basename(f.path)}`, at: iso(f.atMs) }));
  const done: EventRecord = {
    ...rec,
    status: 'done',
    updated_at: iso(e.nowMs),
    clip: {
      key: `${base}.mp4`,
      metadata_key: `${base}.json`,
      from: iso(clip.fromMs),
      to: iso(clip.toMs),
      duration_seconds: Math.round(clip.durationSec * 1000) / 1000,
      gaps: clip.gaps.map((g) => ({ from: iso(g.fromMs), to: iso(g.toMs) })),
    },
    frames,
  };
  await storeFile(store, { key: `${base}.mp4`, path: e.clipPath, contentType: 'video/mp4', metadata, signal });
  for (const [i, f] of e.frames.entries()) {
    await storeFile(store, { key: frames[i]!.key, path: f.path, contentType: 'image/png', metadata, signal });
  }
  const json = {
    event_id: rec.id,
    camera: rec.camera,
    at: rec.at,
    pre_seconds: rec.pre_seconds,
    post_seconds: rec.post_seconds,
    metadata: rec.metadata,
    clip: done.clip,
    frames_mode: rec.frames_mode ?? 'spread',
    frames,
  };
  await writeFile(e.jsonPath, JSON.stringify(json, null, 2));
  await storeFile(store, { key: `${base}.json`, path: e.jsonPath, contentType: 'application/json', metadata, signal });
  return done;
}

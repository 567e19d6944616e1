// Which stored segments cover a time range, and where the footage has gaps. Lists one key prefix
// per UTC day (start times are in the keys) and HEADs only the candidates for their exact bounds.
import { START_AFTER_NAME_MS, START_BEFORE_NAME_MS } from '../segment.ts';
import type { ObjectStore } from '../storage/object-store.ts';

export interface StoredSegmentInfo {
  key: string;
  startMs: number;
  endMs: number;
  size: number;
}

export interface Gap {
  fromMs: number;
  toMs: number;
}

export interface Coverage {
  segments: StoredSegmentInfo[];
  gaps: Gap[];
}

/** Footage closer than this is continuous: consecutive segments of one ffmpeg run touch. */
export const GAP_TOLERANCE_MS = 1000;
const DAY_MS = 86_400_000;
const KEY = /\/(\d{4})(\d{2})(\d{2})\/(\d{2})(\d{2})(\d{2})_[^/]+\.mp4$/;

export function keyStart(key: string): number | undefined {
  const m = KEY.exec(key);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

export async function findSegments(store: ObjectStore, cameraId: string, fromMs: number, toMs: number, signal?: AbortSignal): Promise<Coverage> {
  const keys: { key: string; start: number }[] = [];
  // A segment that covers `from` may have started the day before; one keyed just after midnight
  // may really start before `to` (see the margins below).
  for (let day = Math.floor((fromMs - DAY_MS) / DAY_MS) * DAY_MS; day <= toMs + START_BEFORE_NAME_MS; day += DAY_MS) {
    const prefix = `${cameraId}/${new Date(day).toISOString().slice(0, 10).replaceAll('-', '')}/`;
    for (const key of await store.list(prefix, signal)) {
      const start = keyStart(key);
      if (start !== undefined && key.endsWith(`_${cameraId}.mp4`)) keys.push({ key, start });
    }
  }
  keys.sort((a, b) => a.start - b.start);
  // Candidates: the last segment starting before `from` (it may run into the range), and every one after it up to `to`.
  // Key times are whole seconds and a segment's exact start may lie seconds from its key (see
  // START_*_NAME_MS), so the margins: a segment keyed just before `from` may really start after it,
  // and the first segment of a run keyed after `to` may really start before it.
  let first = keys.findLastIndex((k) => k.start <= fromMs - START_AFTER_NAME_MS);
  if (first < 0) first = 0;
  const candidates = keys.slice(first).filter((k) => k.start < toMs + START_BEFORE_NAME_MS);
  const found: StoredSegmentInfo[] = [];
  for (const c of candidates) {
    const head = await store.head(c.key, signal);
    if (!head) continue;
    const startMs = Date.parse(head.metadata.start ?? '') || c.start;
    const endMs = Date.parse(head.metadata.end ?? '') || startMs + Number(head.metadata.duration ?? 0) * 1000;
    found.push({ key: c.key, startMs, endMs, size: head.size });
  }
  // One camera's segments follow each other; stored bounds (file time − duration) can overlap the
  // next segment by a second or more under load: ffmpeg, working off frames it buffered, wrote the
  // segment's last frame late, so its file time and both its bounds are late. The next segment's
  // start wins, and the segment moves back whole rather than being cut: its duration is the media
  // the export will join, so the gap before it shrinks instead of the clip holding more than the
  // bounds say. An overlap longer than that lag can be (START_BEFORE_NAME_MS) is cut, as before.
  found.sort((a, b) => a.startMs - b.startMs);
  for (let i = found.length - 2; i >= 0; i--) {
    const s = found[i]!;
    const next = found[i + 1]!;
    const overlap = s.endMs - next.startMs;
    if (overlap <= 0) continue;
    if (overlap <= START_BEFORE_NAME_MS) s.startMs -= overlap;
    s.endMs = Math.max(s.startMs, next.startMs);
  }
  const segments = found.filter((s) => s.endMs > fromMs && s.startMs < toMs);
  return { segments, gaps: gapsIn(segments, fromMs, toMs) };
}

export function gapsIn(segments: StoredSegmentInfo[], fromMs: number, toMs: number): Gap[] {
  const gaps: Gap[] = [];
  let cursor = fromMs;
  for (const s of segments) {
    if (s.startMs - cursor > GAP_TOLERANCE_MS) gaps.push({ fromMs: cursor, toMs: Math.min(s.startMs, toMs) });
    cursor = Math.max(cursor, s.endMs);
  }
  if (toMs - cursor > GAP_TOLERANCE_MS) gaps.push({ fromMs: cursor, toMs });
  return gaps;
}

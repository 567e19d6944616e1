// The events the recorder tells the world about, and the one envelope they travel in. The envelope
// is a published contract (docs/events/envelope.v1.schema.json, checked against every message the
// tests see): add optional fields freely, but a change that breaks a reader is v: 2.

/** The envelope's version: readers check it before they read data. */
export const ENVELOPE_VERSION = 1;

/** The picture problems of camera-vision.ts, as events name them. */
export type PictureProblem = 'black' | 'frozen' | 'covered' | 'blurred' | 'moved';

/** A box in 0..1 coordinates of the picture, top left first. */
export interface EventBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** What each event type carries in `data`. Times are ISO 8601 UTC; no field ever holds a secret. */
export interface EventData {
  /** The camera's stream came up (ffmpeg's first progress, or the first pushed picture). */
  'camera.connected': { source_type: string };
  /**
   * The stream went away. `reason`: stream_ended (the camera or the network ended it), stalled (no
   * frames), camera_unreachable (no stream came), disk_full, restart (ffmpeg restarted on purpose),
   * stopping (the camera or the service is being stopped).
   */
  'camera.disconnected': { source_type: string; reason: string };
  /** A camera appeared (config or API), changed its settings, or was removed. Never its URL: it may hold a password. */
  'camera.added': { source_type: string; labels: Record<string, string>; defined_in: string };
  'camera.changed': { source_type: string; labels: Record<string, string>; defined_in: string; changed: string[] };
  'camera.removed': { source_type: string; defined_in: string };
  /** ffmpeg closed a segment on disk; it now waits for upload. */
  'segment.recorded': { file: string; start: string; end: string; duration_seconds: number; bytes: number };
  /** The store holds the segment, verified byte for byte; the local copy is gone. */
  'segment.uploaded': { key: string; bytes: number; start: string; end: string; sha256: string };
  /** A segment that will never reach the store (reason says why: disk full, unreadable, ...). */
  'segment.dropped': { file: string; reason: string; bytes: number | null };
  /** A segment set aside locally (not uploaded, not deleted) for a human to look at. */
  'segment.quarantined': { file: string; reason: string; path: string };
  /** A picture problem turned on or off (debounced, as camera_video_problem). */
  'health.problem': { problem: PictureProblem; since: string };
  'health.ok': { problem: PictureProblem; since: string };
  /** Motion started (area: the changed share of the picture; box: where, when known) or ended. */
  'motion.detected': { area: number; box: EventBox | null; since: string };
  'motion.ended': { since: string; duration_seconds: number; max_area: number; box: EventBox | null };
  /** Pictures taken from a push or Redis-stream camera, at most one event per camera per interval. */
  'frame.ingested': { source_type: string; frames: number; since: string; last_frame_time: string };
  /** An evidence-clip event was accepted, made its clip, or failed. */
  'event.accepted': { event_id: string; at: string; pre_seconds: number; post_seconds: number; metadata: unknown };
  'event.done': { event_id: string; at: string; clip_key: string; metadata_key: string; duration_seconds: number; frames: string[] };
  'event.failed': { event_id: string; at: string; error: string };
}

export type EventType = keyof EventData;

export const EVENT_TYPES = [
  'camera.connected',
  'camera.disconnected',
  'camera.added',
  'camera.changed',
  'camera.removed',
  'segment.recorded',
  'segment.uploaded',
  'segment.dropped',
  'segment.quarantined',
  'health.problem',
  'health.ok',
  'motion.detected',
  'motion.ended',
  'frame.ingested',
  'event.accepted',
  'event.done',
  'event.failed',
] as const satisfies readonly EventType[];

/** One event as every sink publishes it. `id` is unique per event, so a reader can drop a repeat. */
export interface Envelope<T extends EventType = EventType> {
  v: typeof ENVELOPE_VERSION;
  id: string;
  type: T;
  camera_id: string;
  /** When it happened (ISO 8601 UTC, ms). */
  time: string;
  data: EventData[T];
}

/** Any envelope, narrowed by its `type`. */
export type AnyEnvelope = { [T in EventType]: Envelope<T> }[EventType];

export function isEventType(s: string): s is EventType {
  return (EVENT_TYPES as readonly string[]).includes(s);
}

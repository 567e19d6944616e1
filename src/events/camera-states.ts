// Each camera's current state, kept from the events themselves: what a subscriber who arrives late
// needs at once (MQTT's retained `{prefix}/{camera}/state`, Redis's key `{state_key_prefix}{camera_id}`),
// since a publish-subscribe channel keeps nothing.
import type { AnyEnvelope, PictureProblem } from './event-types.ts';

export interface CameraState {
  v: 1;
  camera_id: string;
  source_type: string;
  /** Whether the camera's stream is up, and since when (ISO; null before it first came up). */
  connected: boolean;
  since: string | null;
  /** Why it last went down, while it is down. */
  disconnect_reason: string | null;
  /** Picture problems on now (health.problem without a health.ok yet). */
  problems: PictureProblem[];
  motion: boolean;
  /** The newest segment the store holds. */
  last_segment: { key: string; end: string } | null;
  /** When this state last changed. */
  updated: string;
}

export type StateListener = (cameraId: string, state: CameraState | undefined) => void;

export class CameraStates {
  readonly #states = new Map<string, CameraState>();
  readonly #listeners = new Set<StateListener>();

  /** A camera this process records, before any event of it: known, not connected. */
  track(cameraId: string, sourceType: string, atMs: number): void {
    if (this.#states.has(cameraId)) return;
    this.#set(cameraId, {
      v: 1,
      camera_id: cameraId,
      source_type: sourceType,
      connected: false,
      since: null,
      disconnect_reason: null,
      problems: [],
      motion: false,
      last_segment: null,
      updated: new Date(atMs).toISOString(),
    });
  }

  get(cameraId: string): CameraState | undefined {
    return this.#states.get(cameraId);
  }

  all(): CameraState[] {
    return [...this.#states.values()];
  }

  /** Told of every change, and of a camera removed (state undefined). */
  onChange(listener: StateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Folds one event into its camera's state (the bus's first listener). */
  apply(e: AnyEnvelope): void {
    const id = e.camera_id;
    if (e.type === 'camera.removed') {
      if (this.#states.delete(id)) for (const l of this.#listeners) l(id, undefined);
      return;
    }
    const s = this.#states.get(id);
    const sourceType = 'source_type' in e.data && typeof e.data.source_type === 'string' ? e.data.source_type : (s?.source_type ?? 'rtsp');
    if (!s) this.track(id, sourceType, Date.parse(e.time));
    const prev = this.#states.get(id)!;
    const next: CameraState = { ...prev, updated: e.time };
    switch (e.type) {
      case 'camera.added':
      case 'camera.changed':
        next.source_type = e.data.source_type;
        break;
      case 'camera.connected':
        next.connected = true;
        next.since = e.time;
        next.disconnect_reason = null;
        break;
      case 'camera.disconnected':
        next.connected = false;
        next.since = e.time;
        next.disconnect_reason = e.data.reason;
        next.motion = false;
        break;
      case 'health.problem':
        if (!next.problems.includes(e.data.problem)) next.problems = [...next.problems, e.data.problem].sort();
        break;
      case 'health.ok':
        next.problems = next.problems.filter((p) => p !== e.data.problem);
        break;
      case 'motion.detected':
        next.motion = true;
        break;
      case 'motion.ended':
        next.motion = false;
        break;
      case 'segment.uploaded':
        if (!next.last_segment || e.data.end > next.last_segment.end) next.last_segment = { key: e.data.key, end: e.data.end };
        break;
      default:
        return; // the other events do not change what a camera is
    }
    this.#set(id, next);
  }

  #set(id: string, state: CameraState): void {
    this.#states.set(id, state);
    for (const l of this.#listeners) l(id, state);
  }
}

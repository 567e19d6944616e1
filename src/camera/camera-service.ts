// The camera resource as the API sees it: what a caller may send, what it gets back, and the
// operations on the set of cameras. The HTTP routes speak only to this interface; the supervisor
// that owns the recorders implements it. JSON field names are snake_case, as in the request bodies
// integrators already send.
import type { VisionView } from '../frames/camera-vision.ts';
import type { AnalysisInput } from '../frames/vision-settings.ts';
import type { RecorderState } from './recorder.ts';

/**
 * Where a camera's video comes from. `rtsp` (rtsp:// and rtsps://) and `http_push` (JPEG pictures
 * POSTed to /api/ingest/push/{id}) come from the API or the configuration; `file` (a local video
 * played in a loop) exists only in the configuration; `synthetic` (made by ffmpeg, for the demo) in
 * the configuration, and over the API where it is allowed; `redis_stream` (JPEG frames read from a
 * Redis stream) is configuration only.
 */
export type SourceType = 'rtsp' | 'file' | 'synthetic' | 'http_push' | 'redis_stream';

/** Who owns a camera: the configuration (read-only over the API) or the API. */
export type CameraOrigin = 'config' | 'api';

/** A camera's state over the API: the recorder's, or `disabled` when it is switched off. */
export type CameraState = RecorderState | 'disabled';

export interface CameraView {
  id: string;
  source_type: SourceType;
  /** The source with any password masked as `***`; for an http_push camera, the path its pictures go to. */
  source_url: string;
  /** http_push only: whether the camera has a token of its own (the token itself is never shown). */
  push_token_set?: boolean;
  labels: Record<string, string>;
  enabled: boolean;
  origin: CameraOrigin;
  /** For a config camera, where it is defined ("config.toml cameras[0]", "environment CAMERA1_RTSP_URL"). */
  defined_in: string | null;
  state: CameraState;
  connected: boolean;
  /** End of the newest finished segment, ISO 8601, or null before the first one. */
  newest_segment_end: string | null;
  /** Segments of this camera on local disk waiting for the store. */
  backlog: { segments: number; bytes: number };
  /** The camera's own analysis settings ({} = the service's defaults). */
  analysis: AnalysisInput;
  /** What the analysis sees: each picture problem, motion, the newest frame and snapshot; null while it is off. */
  video: VisionView | null;
  /** ISO 8601; for a config camera, when this process started it. */
  created_at: string;
  updated_at: string;
}

export interface NewCamera {
  id: string;
  /** `synthetic` only where the configuration sets api.allow_synthetic_cameras (else refused as invalid, field source_type). */
  source_type: 'rtsp' | 'synthetic' | 'http_push';
  /** Required, but for http_push (which takes none). */
  source_url?: string;
  /** http_push only: the camera's own bearer token for its pictures; without one, only the API token is taken. */
  push_token?: string;
  labels?: Record<string, string>;
  enabled?: boolean;
  analysis?: AnalysisInput;
}

export interface CameraPatch {
  source_url?: string;
  labels?: Record<string, string>;
  enabled?: boolean;
  /** Replaces the camera's analysis settings as a whole ({} = back to the defaults). */
  analysis?: AnalysisInput;
  /** http_push only: a new token of its own (the old one stops working at once; no restart). */
  push_token?: string;
}

/** What removing a camera left: its recorder has stopped and its last segment was handed over. */
export interface RemovedCamera {
  id: string;
  /** Its segments still waiting for the store; they are uploaded like any other. */
  segments_waiting: number;
}

/**
 * Why a change was refused. The routes map the kind to a status: invalid 400, not_found 404,
 * conflict and read_only 409, unavailable 503. `field` names the offending body field.
 */
export class CameraChangeError extends Error {
  readonly kind: 'invalid' | 'not_found' | 'conflict' | 'read_only' | 'unavailable';
  readonly field: string | undefined;
  constructor(kind: CameraChangeError['kind'], message: string, field?: string) {
    super(message);
    this.name = 'CameraChangeError';
    this.kind = kind;
    this.field = field;
  }
}

export interface CameraService {
  list(): CameraView[];
  get(id: string): CameraView | undefined;
  /** Persists the camera, then starts recording it. Throws CameraChangeError. */
  add(input: NewCamera): Promise<CameraView>;
  /** A new source_url restarts only this camera's ffmpeg; its segments go on under the same id. */
  change(id: string, patch: CameraPatch): Promise<CameraView>;
  /** Stops the camera's ffmpeg after finalizing its segment, hands the rest to the uploader, forgets it. */
  remove(id: string): Promise<RemovedCamera>;
}

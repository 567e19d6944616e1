// A camera as the API shows it: its spec with the password masked, and its recorder's state.
import { maskUrl } from '../redact.ts';
import type { CameraVision } from '../frames/camera-vision.ts';
import type { TapJpeg } from '../frames/jpeg-tap.ts';
import type { CameraView } from './camera-service.ts';
import type { CameraSpec } from './camera-spec.ts';
import type { RecorderState } from './recorder.ts';

/** What the supervisor needs of a recorder (CameraRecorder is one). */
export interface Recorder {
  readonly id: string;
  readonly state: RecorderState;
  readonly connected: boolean;
  readonly newestSegmentEndMs: number | undefined;
  readonly notRecording: { sinceMs: number; reason: string } | undefined;
  /** The camera's frame analysis, when it is on. */
  readonly vision?: CameraVision | undefined;
  /** The newest key frame as a JPEG, when snapshots are kept. */
  readonly snapshot?: TapJpeg | undefined;
  start(): void;
  stop(): Promise<void>;
}

/** Where an http_push camera's pictures go. */
export const pushPath = (id: string): string => `/api/ingest/push/${id}`;

export function cameraView(spec: CameraSpec, recorder: Recorder | undefined, backlog: { segments: number; bytes: number }): CameraView {
  const newest = recorder?.newestSegmentEndMs;
  return {
    id: spec.id,
    source_type: spec.sourceType,
    ...(spec.sourceType === 'http_push' ? { source_url: pushPath(spec.id), push_token_set: spec.pushToken !== undefined } : { source_url: maskUrl(spec.url) }),
    labels: { ...spec.labels },
    enabled: spec.enabled,
    origin: spec.origin,
    defined_in: spec.definedIn,
    state: spec.enabled ? (recorder?.state ?? 'stopped') : 'disabled',
    connected: recorder?.connected ?? false,
    newest_segment_end: newest === undefined ? null : new Date(newest).toISOString(),
    backlog,
    analysis: { ...spec.analysis },
    video: recorder?.vision?.view() ?? null,
    created_at: spec.createdAt,
    updated_at: spec.updatedAt,
  };
}

// What the ingest route needs to know of a camera to take a picture for it: its source type (only
// http_push cameras take pictures), its own token, and the recorder that takes the picture.
import type { SourceType } from '../camera/camera-service.ts';
import type { FrameSink } from './frame-sink.ts';

export interface PushTarget {
  sourceType: SourceType;
  /** The camera's own token, when it has one; the API token is taken for every camera. */
  pushToken: string | undefined;
  /** Takes the camera's pictures; undefined while the camera is disabled. */
  sink: FrameSink | undefined;
}

export interface PushCameras {
  /** undefined: no camera has this id. */
  pushTarget(id: string): PushTarget | undefined;
}

/** Whether a recorder takes pushed pictures (PushRecorder does). */
export const isFrameSink = (recorder: object | undefined): recorder is FrameSink =>
  recorder !== undefined && typeof (recorder as Partial<FrameSink>).push === 'function';

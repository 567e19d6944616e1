// What the HTTP routes may ask about a camera's frames: its newest snapshot and its analysis.
import type { CameraVision } from './camera-vision.ts';
import type { TapJpeg } from './jpeg-tap.ts';

export interface CameraFrames {
  /** false: the camera is switched off (nothing is recorded or analysed). */
  enabled: boolean;
  /** The newest JPEG, from the snapshot tap or as pushed; undefined before the first. */
  snapshot: TapJpeg | undefined;
  /** The frame analysis; undefined when it is off for this camera. */
  vision: CameraVision | undefined;
}

export interface FrameService {
  /** undefined: no such camera. */
  framesOf(id: string): CameraFrames | undefined;
}

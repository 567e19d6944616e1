// What a recorder asks of its ffmpeg beyond the recording: the frame tap (gray key frames for the
// analysis) and the snapshot tap (a JPEG per key frame), both off unless a consumer is given.
import type { CameraVision } from '../frames/camera-vision.ts';
import type { FrameConsumer } from '../frames/frame-tap.ts';
import type { TapJpeg } from '../frames/jpeg-tap.ts';
import type { Logger } from '../logger.ts';
import type { FfmpegArgsInput } from './ffmpeg-args.ts';
import { FRAME_TAP_FD, type FfmpegRunDeps, SNAPSHOT_FD } from './ffmpeg-run.ts';

export interface RecorderTaps {
  /** Hand this camera's key frames, small and gray, to a consumer (frame-tap.ts). Off when absent. */
  frames?: FrameConsumer | undefined;
  /** Keep the newest key frame as a JPEG this many pixels wide (0: the camera's own size). Off when absent. */
  snapshotWidth?: number | undefined;
  /** Told of every snapshot JPEG as it is read. */
  onSnapshot?: ((jpeg: TapJpeg) => void) | undefined;
  /** Told the running count of frames the tap replaced while the consumer was busy (per ffmpeg run). */
  onFramesDropped?: ((dropped: number) => void) | undefined;
}

/** The taps' part of ffmpeg's command line. */
export function tapArgs(taps: RecorderTaps): Pick<FfmpegArgsInput, 'frames' | 'snapshots'> {
  const { frames, snapshotWidth } = taps;
  return {
    ...(frames && { frames: { width: frames.width, height: frames.height, pipeFd: FRAME_TAP_FD, fps: frames.fps } }),
    ...(snapshotWidth !== undefined && { snapshots: { width: snapshotWidth, pipeFd: SNAPSHOT_FD } }),
  };
}

/** The taps' part of the run: who reads the pipes. `keep` stores each JPEG for the recorder's `snapshot`. */
export function tapReaders(taps: RecorderTaps, log: Logger, keep: (jpeg: TapJpeg) => void): Pick<FfmpegRunDeps, 'frames' | 'onSnapshot'> {
  const { frames, snapshotWidth, onSnapshot, onFramesDropped } = taps;
  return {
    onSnapshot:
      snapshotWidth === undefined
        ? undefined
        : (jpeg) => {
            keep(jpeg);
            onSnapshot?.(jpeg);
          },
    frames: frames && {
      ...frames,
      onError: (err) => log.warn({ err }, 'the frame consumer failed; it gets the next frame'),
      ...(onFramesDropped && { onDropped: onFramesDropped }),
    },
  };
}

/** A camera's analysis as taps: its key frames, its snapshots, and the frames it missed. */
export function visionTaps(vision: CameraVision): RecorderTaps {
  return {
    frames: vision.consumer,
    snapshotWidth: vision.settings.snapshotWidth,
    onSnapshot: (jpeg) => vision.takeJpeg(jpeg),
    onFramesDropped: (dropped) => vision.framesDropped(dropped),
  };
}

// ffmpeg's command line for a push camera: JPEGs written to its stdin (in Matroska, see mjpeg-mkv.ts), encoded to H.264 into the
// same clock-aligned fMP4 segments as an RTSP camera's (segmentOutputArgs), optionally with the
// frame tap. A pure function, like ffmpegArgs; the choices are explained in DESIGN.md "Push cameras".
import { type FrameTapShape, frameTapArgs, segmentOutputArgs } from '../camera/ffmpeg-args.ts';

export interface PushArgsInput {
  segmentSeconds: number;
  outDir: string;
  listPath: string;
  /** Also deliver every pushed picture, scaled to small gray raw frames, on a pipe. Off by default. */
  frames?: FrameTapShape;
}

/** A key frame at least this often (seconds of media): segments are cut at the first key frame after a clock boundary. */
export const PUSH_GOP_SECONDS = 2;

export function pushFfmpegArgs(input: PushArgsInput): string[] {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+warning',
    // Pictures come as a live Matroska stream stamped with their arrival (mjpeg-mkv.ts), not as bare
    // JPEGs that ffmpeg would stamp when it gets round to reading them. Without -probesize and
    // -analyzeduration, probing would read 5 MB or 5 s of pictures before encoding the first.
    // (Not -fflags nobuffer: it throws away the pictures read while probing, the first with them.)
    '-probesize', '32', '-analyzeduration', '0',
    '-f', 'matroska', '-i', 'pipe:0',
    '-map', '0:v:0', '-an',
    // H.264 needs even dimensions (4:2:0): an odd row or column is cropped, not scaled. yuv420p is
    // what every browser plays (a JPEG's full-range yuvj420p is not).
    '-vf', 'crop=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p',
    // veryfast: a few ms per 720p picture at a few frames a second; zerolatency: no look-ahead and no
    // B-frames, so a picture is in the segment as soon as it arrives, not 10 pictures later.
    '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-crf', '23',
    // Key frames by time, not by count (the rate is the sender's): a clock-aligned cut is never
    // more than PUSH_GOP_SECONDS late, and a seek never has to go back further.
    '-force_key_frames', `expr:gte(t,n_forced*${PUSH_GOP_SECONDS})`,
    // no duplicated or dropped pictures to fit a constant rate
    '-fps_mode', 'passthrough',
    ...segmentOutputArgs(input),
    ...(input.frames ? frameTapArgs(input.frames) : []),
  ];
}

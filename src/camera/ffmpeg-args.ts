// ffmpeg's command line for one camera, as a pure function of the camera and the settings.
// Every flag here was chosen for a failure it prevents; see the comments and DESIGN.md.

/** What to do with the camera's audio, decided from what the camera sends (see audio-plan.ts). */
export type AudioPlan = 'copy' | 'transcode' | 'none';

export interface FfmpegArgsInput {
  url: string;
  audio: AudioPlan;
  segmentSeconds: number;
  rtspTimeoutMs: number;
  /** Directory of this camera's segments; file names are the UTC start time. */
  outDir: string;
  /** The CSV segment list: ffmpeg appends a line only when a segment is closed. */
  listPath: string;
  /** Also deliver every key frame, scaled to small gray raw frames, on a pipe (see frameTapArgs). Off by default. */
  frames?: FrameTapShape;
  /** Also write a JPEG of every key frame, width pixels wide, on a pipe (see jpegTapArgs). Off by default. */
  snapshots?: JpegTapShape;
}

/** The snapshot branch: a JPEG of each key frame, width wide (height from the camera's aspect), to pipeFd. */
export interface JpegTapShape {
  /** 0: the camera's own size, not scaled. */
  width: number;
  pipeFd: number;
}

/** The key-frame branch: width×height 8-bit gray frames, one after another, written to file descriptor pipeFd. */
export interface FrameTapShape {
  width: number;
  height: number;
  pipeFd: number;
  /** Frames a second to deliver, decoding every frame (the cost of a full decode); absent or 0: key frames only. */
  fps?: number | undefined;
}

/** Local file name pattern (strftime, evaluated in UTC because ffmpeg runs with TZ=UTC). */
export const SEGMENT_PATTERN = '%Y%m%d-%H%M%S.mp4';

export function ffmpegArgs(input: FfmpegArgsInput): string[] {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+warning',
    ...((input.frames || input.snapshots) && !fullDecode(input) ? keyFramesOnly : []),
    ...inputArgs(input),
    ...segmentOutputArgs(input),
    ...(input.frames ? frameTapArgs(input.frames, fullDecode(input) ? `fps=${input.frames.fps},` : keyFrameSelect(input.url)) : []),
    ...(input.snapshots ? jpegTapArgs(input.snapshots, fullDecode(input) ? 'select=eq(pict_type\\,I),' : keyFrameSelect(input.url)) : []),
  ];
}

/** Frames at a set rate: every frame is decoded, and the snapshot branch picks the key frames itself. */
const fullDecode = (input: FfmpegArgsInput): boolean => (input.frames?.fps ?? 0) > 0;

/**
 * A synthetic camera's frames come raw from lavfi, where -skip_frame nokey skips nothing: its taps
 * take every GOP's first frame themselves, as a camera's decoder would give them key frames only.
 */
function keyFrameSelect(url: string): string {
  if (!url.startsWith('synthetic:')) return '';
  return `select=not(mod(n\\,${2 * syntheticFps(url)})),`;
}

const syntheticFps = (url: string): number => Number(new URL(url).searchParams.get('fps') ?? '15');

function inputArgs({ url, audio, rtspTimeoutMs }: FfmpegArgsInput): string[] {
  if (url.startsWith('synthetic:')) return syntheticInput(url, audio);
  if (url.startsWith('file:')) return fileInput(url, audio);
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  return [
    // TCP: interleaved RTP survives NAT and lossy Wi-Fi; UDP drops packets and tears frames.
    '-rtsp_transport', 'tcp',
    // Socket timeout in microseconds. Without it a camera that stops sending hangs ffmpeg forever.
    '-timeout', String(rtspTimeoutMs * 1000),
    '-i', url,
    '-map', '0:v:0',
    ...(audio === 'none' ? [] : ['-map', '0:a:0?']),
    '-c:v', 'copy',
    ...audioCodec(audio),
  ];
}

/**
 * A local video file (`file:/videos/a.mp4`, from a config camera with source_type = "file") played
 * in a loop at its own pace: -re reads it in real time, as a camera would send it, and
 * -stream_loop -1 starts it over at the end with timestamps that keep rising. Stream copy, like a
 * camera: no CPU spent on encoding.
 */
function fileInput(url: string, audio: AudioPlan): string[] {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  return [
    '-re', '-stream_loop', '-1', '-i', url,
    '-map', '0:v:0',
    ...(audio === 'none' ? [] : ['-map', '0:a:0?']),
    '-c:v', 'copy',
    ...audioCodec(audio),
  ];
}

function audioCodec(audio: AudioPlan): string[] {
  if (audio === 'copy') return ['-c:a', 'copy'];
  // MP4 cannot hold G.711/PCM (ffmpeg refuses to start), so it becomes small AAC.
  // 24 kbit/s, not 32: ffmpeg's AAC encoder cannot spend 32 kbit/s on 8 kHz mono, sits at its
  // quality ceiling and re-encodes nearly every frame up to 6 times (2× the camera's CPU); at 24k
  // it settles in one pass and still keeps the whole 4 kHz telephone band (BENCHMARKS.md).
  if (audio === 'transcode') return ['-c:a', 'aac', '-b:a', '24k'];
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  return ['-an'];
}

/**
 * A camera made by ffmpeg itself (`synthetic:?size=640x360&fps=15`), for the demo and for trying the
 * service with nothing but ffmpeg installed. It is encoded, so it costs CPU a real camera does not.
 */
function syntheticInput(url: string, audio: AudioPlan): string[] {
  const q = new URL(url).searchParams;
  const size = q.get('size') ?? '640x360';
  const fps = syntheticFps(url);
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  return [
    '-re', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${fps}`,
    ...(audio === 'none' ? [] : ['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000']),
    '-map', '0:v:0', ...(audio === 'none' ? ['-an'] : ['-map', '1:a:0', '-c:a', 'aac', '-b:a', '32k']),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', String(2 * fps),
  ];
}

/** The recording's output: clock-aligned fragmented-MP4 segments and their list (also used by push cameras). */
export function segmentOutputArgs({ segmentSeconds, outDir, listPath }: Pick<FfmpegArgsInput, 'segmentSeconds' | 'outDir' | 'listPath'>): string[] {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  return [
    '-f', 'segment',
    '-segment_time', String(segmentSeconds),
    // Cut at wall-clock multiples of segment_time (…:00, :15, :30, :45) so segments of all cameras line up.
    '-segment_atclocktime', '1',
    '-reset_timestamps', '1',
    '-strftime', '1',
    // Fragmented MP4: a segment cut by SIGKILL or power loss still plays up to its last fragment;
    // a plain MP4 without its moov atom is unreadable.
    '-segment_format', 'mp4',
    '-segment_format_options', 'movflags=+frag_keyframe+empty_moov+default_base_moof:flush_packets=1',
    '-segment_list', listPath,
    '-segment_list_type', 'csv',
    // key=value progress blocks on stdout: the watchdog's liveness signal, and what flips
    // camera_stream_connected to 1. Every 2 s rather than 5 so the gauge follows the camera closely.
    '-progress', 'pipe:1',
    '-stats_period', '2',
    `${outDir}/${SEGMENT_PATTERN}`,
  ];
}

/**
 * Input options for the frame tap. The decoder skips every frame but key frames: decoding all of them
 * costs ~30 % of a core per 1080p camera, key frames alone ~1 %. The stream-copy branch is not decoded,
 * so the recording still gets every packet. One decoder thread: a key frame every GOP needs no more,
 * and each extra thread is memory and wake-ups per camera.
 */
// biome-ignore format: ffmpeg arguments read as flag-value pairs
const keyFramesOnly = ['-skip_frame', 'nokey', '-threads', '1'];

/**
 * The frame tap's output, after the recording's: the camera's first video stream decoded (key frames
 * only), scaled with the cheapest scaler to width×height gray, written raw to pipe:N.
 * -fps_mode passthrough: without it a raw or image2pipe output duplicates frames to a constant
 * rate (1,199 images for 30 key frames). The reader must always drain this pipe (frame-tap.ts):
 * a full pipe blocks this ffmpeg, and with it the recording.
 */
export function frameTapArgs({ width, height, pipeFd }: FrameTapShape, select = ''): string[] {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  return [
    '-map', '0:v:0', '-an',
    '-vf', `${select}${RISING_PTS},scale=${width}:${height}:flags=fast_bilinear,format=gray`,
    '-fps_mode', 'passthrough', '-enc_time_base', '1:1000',
    '-c:v', 'rawvideo', '-f', 'tee', teeToPipe('rawvideo', pipeFd),
  ];
}

/**
 * The taps' frames get timestamps of their own: the wall clock in ms, always rising. A camera's
 * timestamps can go back (a reconnect, an RTCP resync, a wrap), and the MJPEG encoder refuses a
 * frame whose pts is not above the last ("Invalid pts <= last"): ffmpeg then exits, and the
 * recording with it (seen after a camera came back). The stream copy keeps the camera's own
 * timestamps; the analysis reads the time a frame arrived, never its pts. With -enc_time_base 1:1000
 * the encoder counts in the same ms, so "+1" survives; a filter graph rebuilt mid-run starts again
 * from the clock, which has moved on.
 */
const RISING_PTS = "settb=1/1000,setpts='if(isnan(PREV_OUTPTS)\\,RTCTIME/1000\\,max(RTCTIME/1000\\,PREV_OUTPTS+1))'";

/**
 * A tap's pipe as the one slave of a tee that may fail: when the reader of the pipe is gone (the
 * recorder's process died), a plain pipe output fails with EPIPE and ffmpeg ends the recording
 * with it; through the tee the pipe is dropped (onfail=ignore) and ffmpeg records on, an orphan
 * the next start stops and uploads. A tee whose every slave failed fails too, hence the null one.
 */
function teeToPipe(format: string, pipeFd: number): string {
  return `[f=${format}:onfail=ignore]pipe\\:${pipeFd}|[f=null]/dev/null`;
}

/**
 * The snapshot output: a JPEG of every key frame (decoded once, for this and the frame tap), scaled
 * first. A full-size 1080p JPEG per key frame costs ~0.7 % of a core, a 640-wide one ~0.3 % with
 * the gray tap (BENCHMARKS.md). yuvj420p: the full-range format the mjpeg encoder expects; q 5 is
 * ~15 KiB at 640×360. Read by JpegTap (jpeg-tap.ts), which like FrameTap never stops reading.
 */
export function jpegTapArgs({ width, pipeFd }: JpegTapShape, select = ''): string[] {
  const scale = width > 0 ? `scale=${width}:-2:flags=fast_bilinear` : '';
  const filters = `${select}${RISING_PTS}${scale === '' ? '' : `,${scale}`}`;
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  return [
    '-map', '0:v:0', '-an',
    '-vf', filters,
    '-fps_mode', 'passthrough', '-enc_time_base', '1:1000',
    '-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-q:v', '5',
    '-f', 'tee', teeToPipe('image2pipe', pipeFd),
  ];
}

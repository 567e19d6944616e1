// ffprobe as a function: what streams a camera or a segment holds, and how long a segment plays.
import { execa } from 'execa';
import { childEnv } from '../child-env.ts';

export interface ProbeResult {
  /** Each stream's own duration too, when ffprobe can tell (a file's, not a camera's). */
  streams: { type: string; codec: string; durationSec: number | undefined }[];
  /** Playable duration in seconds (all streams, first to last timestamp), when ffprobe can tell. */
  durationSec: number | undefined;
}

export interface ProbeOptions {
  ffprobePath: string;
  timeoutMs: number;
  /** For rtsp:// targets: socket timeout, TCP transport. */
  rtsp?: { timeoutMs: number };
  signal?: AbortSignal;
}

export class ProbeError extends Error {
  /** ffprobe ran and rejected the input; false when ffprobe itself could not run, timed out or was canceled. */
  readonly segmentFault: boolean;
  constructor(message: string, segmentFault: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProbeError';
    this.segmentFault = segmentFault;
  }
}

export async function probe(target: string, opts: ProbeOptions): Promise<ProbeResult> {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  const args = [
    '-v', 'error',
    // Of a camera only the codec names are asked, and the RTSP session description (SDP) names
    // them: half a second of packets is plenty (the default 5 s read 2-4 s of stream, each of them
    // seconds more before a new camera's ffmpeg could start; see BENCHMARKS.md, cameras added).
    ...(opts.rtsp ? ['-rtsp_transport', 'tcp', '-timeout', String(opts.rtsp.timeoutMs * 1000), '-analyzeduration', '500000'] : []),
    '-show_entries', 'stream=codec_type,codec_name,duration:format=duration',
    '-of', 'json',
    target,
  ];
  const result = await execa(opts.ffprobePath, args, {
    ...childEnv(),
    reject: false,
    timeout: opts.timeoutMs,
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    stdin: 'ignore',
    maxBuffer: 1024 * 1024,
  });
  if (result.failed) {
    const ran = result.exitCode !== undefined && !result.timedOut && !result.isCanceled;
    const why = result.timedOut
      ? `timed out after ${opts.timeoutMs} ms`
      : result.isCanceled
        ? 'canceled'
        : !ran
          ? `cannot run ${opts.ffprobePath} (${result.code ?? result.shortMessage}); install ffmpeg or set FFPROBE_PATH`
          : String(result.stderr).trim().split('\n').pop() || `exit code ${result.exitCode}`;
    throw new ProbeError(`ffprobe failed: ${why}`, ran);
  }
  let parsed: { streams?: { codec_type?: string; codec_name?: string; duration?: string }[]; format?: { duration?: string } };
  try {
    parsed = JSON.parse(String(result.stdout));
  } catch (err) {
    throw new ProbeError('ffprobe printed no JSON', true, { cause: err });
  }
  return {
    streams: (parsed.streams ?? []).map((s) => ({ type: s.codec_type ?? '', codec: s.codec_name ?? '', durationSec: seconds(s.duration) })),
    durationSec: seconds(parsed.format?.duration),
  };
}

function seconds(value: string | undefined): number | undefined {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

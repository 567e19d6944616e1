// Real media for tests: short fragmented MP4 segments made by ffmpeg, and ffprobe readings.
import { execFileSync } from 'node:child_process';

/** Writes a fragmented MP4 like the recorder's (H.264 + AAC) of `seconds` length. */
export function makeSegment(path: string, seconds = 2): void {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=15:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=16000:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '32k',
    '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', path,
  ]);
}

export interface Probed {
  codecs: string[];
  durationSec: number;
}

/** Codec names (video first) and duration of a local file. */
export function probeFile(path: string): Probed {
  // biome-ignore format: ffmpeg arguments read as flag-value pairs
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name:format=duration', '-of', 'json', path], { encoding: 'utf8' });
  const j = JSON.parse(out) as { streams: { codec_type: string; codec_name: string }[]; format: { duration: string } };
  const sorted = [...j.streams].sort((a, b) => (a.codec_type === 'video' ? -1 : b.codec_type === 'video' ? 1 : 0));
  return { codecs: sorted.map((s) => s.codec_name), durationSec: Number(j.format.duration) };
}

/** How many seconds a file being written plays so far; 0 while it holds no whole fragment yet. */
export function playableSeconds(path: string): number {
  try {
    return probeFile(path).durationSec || 0;
  } catch {
    return 0; // no moov yet, or a fragment half written
  }
}

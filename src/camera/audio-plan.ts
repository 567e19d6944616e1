// Which audio a camera's stream can keep in MP4.
import type { AudioPlan } from './ffmpeg-args.ts';

export interface AudioDecision {
  plan: AudioPlan;
  codec: string | undefined;
  /** Set when audio is dropped although the camera sends some. */
  warning?: string;
}

/** AAC is copied; G.711 and other PCM become AAC; anything else is dropped (MP4 cannot hold it reliably). */
export function planAudio(audioCodec: string | undefined): AudioDecision {
  if (audioCodec === undefined) return { plan: 'none', codec: undefined };
  if (audioCodec === 'aac') return { plan: 'copy', codec: audioCodec };
  if (audioCodec.startsWith('pcm_')) return { plan: 'transcode', codec: audioCodec };
  return { plan: 'none', codec: audioCodec, warning: `audio codec ${audioCodec} cannot be stored in MP4; recording video only` };
}

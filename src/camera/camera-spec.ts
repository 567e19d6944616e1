// A camera as the supervisor holds it: what to record and who owns it. Config cameras are made from
// the configuration at start; runtime ones come from the API and from the stored records.
import type { CameraConfig, RedisStreamConfig } from '../config/schema.ts';
import type { AnalysisInput } from '../frames/vision-settings.ts';
import type { CameraOrigin, SourceType } from './camera-service.ts';

export interface CameraSpec {
  id: string;
  sourceType: SourceType;
  /** What ffmpeg opens, with its password: never shown, logged or stored as is. "" for http_push. */
  url: string;
  /** http_push only: the camera's own token for its pictures; a secret, like a password. */
  pushToken?: string | undefined;
  labels: Record<string, string>;
  enabled: boolean;
  /** The camera's own analysis settings, over the service's [analysis] defaults. */
  analysis?: AnalysisInput | undefined;
  /** redis_stream only (configuration): what to read from the stream at `url`. */
  redis?: RedisStreamConfig | undefined;
  origin: CameraOrigin;
  definedIn: string | null;
  createdAt: string;
  updatedAt: string;
}

export function specOfConfig(camera: CameraConfig, nowIso: string): CameraSpec {
  return {
    id: camera.id,
    sourceType: camera.sourceType,
    url: camera.url,
    ...(camera.pushToken !== undefined && { pushToken: camera.pushToken }),
    labels: camera.labels,
    enabled: true,
    ...(camera.analysis && { analysis: camera.analysis }),
    ...(camera.redis && { redis: camera.redis }),
    origin: 'config',
    definedIn: camera.definedIn,
    createdAt: nowIso,
    updatedAt: nowIso,
  };
}

/**
 * Whether the running recorder must be replaced to follow `next` (labels alone never need it). New
 * analysis settings do: they may change ffmpeg's command line, and the hand-over loses no footage.
 */
export function needsRestart(current: CameraSpec, next: CameraSpec): boolean {
  return current.url !== next.url || current.enabled !== next.enabled || JSON.stringify(current.analysis ?? {}) !== JSON.stringify(next.analysis ?? {});
}

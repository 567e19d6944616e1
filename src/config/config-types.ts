// The loaded configuration's shape: what loadConfig returns from the keys in schema.ts and the
// [[cameras]] tables. Kept apart from the key table, which is data; importers may use either file.
import type { ArchiveOptions } from '../frames/archive-options.ts';
import type { AnalysisInput } from '../frames/vision-settings.ts';
import type { CONFIG_SOURCE_TYPES } from './schema.ts';

export interface CameraConfig {
  id: string;
  /** What ffmpeg opens: rtsp(s)://, synthetic:…, or file:<absolute path> for a `file` camera; "" for http_push. */
  url: string;
  /** An http_push camera's own bearer token for its pictures (the API token works too); a secret. */
  pushToken?: string | undefined;
  labels: Record<string, string>;
  sourceType: (typeof CONFIG_SOURCE_TYPES)[number];
  /** Where the camera is defined, for messages: "config.toml cameras[0]", "environment CAMERA1_RTSP_URL". */
  definedIn: string;
  /** The camera's own analysis settings (vision-settings.ts), over the [analysis] defaults. */
  analysis?: AnalysisInput | undefined;
  /** With source_type = "redis_stream" (the url is then redis:// or rediss://): what to read from it. */
  redis?: RedisStreamConfig;
}

export interface RedisStreamConfig {
  /** The stream's key. */
  stream: string;
  /** Consumer group, created when missing. Default "camera-recorder". */
  group: string;
  /** This recorder's name in the group; default the camera id, so a restarted recorder reads its own pending entries. */
  consumer: string;
}

export interface Config {
  logLevel: string;
  tempDir: string;
  tempDirMaxBytes: number;
  segmentDurationMs: number;
  storage: 's3' | 'filesystem';
  shutdownGraceMs: number;
  http: { port: number; host: string };
  s3: {
    endpoint: string;
    region: string;
    bucket: string;
    accessKeyId: string;
    secretAccessKey: string;
    forcePathStyle: boolean;
    createBucket: boolean;
    connectTimeoutMs: number;
    requestTimeoutMs: number;
    partSize: number;
    partConcurrency: number;
  };
  filesystem: { root: string };
  upload: { concurrency: number; attemptTimeoutMs: number; retryInitialMs: number; retryMaxMs: number };
  recorder: {
    rtspTimeoutMs: number;
    stallTimeoutMs: number;
    restartInitialMs: number;
    restartMaxMs: number;
    stableAfterMs: number;
    stopTimeoutMs: number;
    ffmpegPath: string;
    ffprobePath: string;
  };
  push: { idleDisconnectMs: number; idleFinalizeMs: number; maxFrameBytes: number };
  backlog: { maxBytes: number; minFreeBytes: number; checkIntervalMs: number; quarantineMaxAgeMs: number };
  analysis: { enabled: boolean; snapshotWidth: number; snapshotMaxAgeMs: number };
  snapshots: ArchiveOptions;
  api: { token: string; presignExpiryMs: number; maxRangeMs: number; cameraSecretsKey: string; allowSyntheticCameras: boolean };
  events: {
    preSeconds: number;
    postSeconds: number;
    maxSeconds: number;
    metadataMaxBytes: number;
    waitMaxMs: number;
    pollIntervalMs: number;
    maxAttempts: number;
    framesDefault: number;
    framesMax: number;
  };
  /** The event stream's sinks (schema-events.ts); an empty url turns a sink off. */
  redis: { url: string; password: string; channelPrefix: string; stateKeyPrefix: string };
  mqtt: { url: string; topicPrefix: string; username: string; password: string; qos: number; clientId: string; triggers: boolean };
  eventStream: { outboxSize: number; reconnectInitialMs: number; reconnectMaxMs: number; frameIngestedIntervalMs: number; websocketMaxClients: number };
  cameras: CameraConfig[];
}

// Every configuration key in one table: its type, default, environment variable and why it matters.
// Loading, validation, the --check-config dump and the docs test all read this table.

export type KeyType =
  | { kind: 'string'; nonEmpty?: boolean }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'bool' }
  | { kind: 'duration'; minMs: number; maxMs: number }
  | { kind: 'size'; min: number }
  | { kind: 'enum'; values: readonly string[] };

export interface KeySpec {
  /** Dotted TOML path: `s3.bucket`. */
  path: string;
  type: KeyType;
  default: string | number | boolean;
  env?: string;
  secret?: boolean;
  doc: string;
}

const s = (path: string, def: string, env: string | undefined, doc: string, extra: Partial<KeySpec> = {}): KeySpec => ({
  path,
  type: { kind: 'string' },
  default: def,
  ...(env ? { env } : {}),
  doc,
  ...extra,
});
const dur = (path: string, def: string, env: string | undefined, minMs: number, maxMs: number, doc: string): KeySpec => ({
  path,
  type: { kind: 'duration', minMs, maxMs },
  default: def,
  ...(env ? { env } : {}),
  doc,
});
import { EVENT_STREAM_KEYS } from './schema-events.ts';

const SECOND = 1000;
const HOUR = 3600 * SECOND;

export const KEYS: readonly KeySpec[] = [
  {
    path: 'log_level',
    type: { kind: 'enum', values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] },
    default: 'info',
    env: 'LOG_LEVEL',
    doc: 'pino log level. info logs every state change and every uploaded segment.',
  },
  s(
    'temp_dir',
    '/tmp/camera-recordings',
    'TEMP_DIR',
    'Where ffmpeg writes segments until they are uploaded. Segments left here by a crash are uploaded at the next start, so in Kubernetes put it on a volume that survives a container restart.',
    { type: { kind: 'string', nonEmpty: true } },
  ),
  {
    path: 'temp_dir_max_bytes',
    type: { kind: 'size', min: 0 },
    default: 0,
    env: 'TEMP_DIR_MAX_BYTES',
    doc: "Disk budget of temp_dir: segments being recorded and waiting, clip exports, quarantine and events together. Over it, quarantined files, then clip scratch, then the oldest queued segments are deleted. On Kubernetes set it below the emptyDir sizeLimit (statfs of an emptyDir reports the node's disk, and past the sizeLimit the pod is evicted with everything on it). 0 = only the filesystem's free space.",
  },
  dur(
    'segment_duration',
    '15m',
    'SEGMENT_DURATION',
    2 * SECOND,
    24 * HOUR,
    'Length of one segment; cuts are aligned to the wall clock (UTC). It is also the most footage a hard node loss can take from a camera (the RPO).',
  ),
  {
    path: 'storage',
    type: { kind: 'enum', values: ['s3', 'filesystem'] },
    default: 's3',
    env: 'STORAGE',
    doc: 'Where finished segments go: an S3-compatible bucket, or a directory (same key layout; for demos, laptops, a NAS mount).',
  },
  dur(
    'shutdown_grace',
    '25s',
    'SHUTDOWN_GRACE',
    0,
    HOUR,
    'On SIGTERM: how long uploads may keep draining after ffmpeg has finalized its segments. What is left stays on disk for the next start. Keep it below terminationGracePeriodSeconds.',
  ),

  {
    path: 'http.port',
    type: { kind: 'int', min: 0, max: 65535 },
    default: 9090,
    env: 'METRICS_PORT',
    doc: 'Port of /health, /ready and /metrics. 0 picks a free port (tests).',
  },
  s('http.host', '0.0.0.0', 'HTTP_HOST', 'Address the HTTP server listens on.'),

  s('s3.endpoint', '', 'S3_ENDPOINT', 'S3 endpoint URL, e.g. http://seaweedfs-s3:8333 or http://minio:9000. Empty means AWS S3 itself.'),
  s('s3.region', 'us-east-1', 'S3_REGION', 'Region used to sign requests. SeaweedFS and MinIO accept us-east-1.'),
  s('s3.bucket', 'camera-recordings', 'S3_BUCKET', 'Bucket that receives `{camera}/{YYYYMMDD}/{HHMMSS}_{camera}.mp4`.', {
    type: { kind: 'string', nonEmpty: true },
  }),
  s('s3.access_key_id', '', 'S3_ACCESS_KEY_ID', 'Access key id. Required with storage = "s3".', { secret: true }),
  s('s3.secret_access_key', '', 'S3_SECRET_ACCESS_KEY', 'Secret key. Required with storage = "s3"; never logged or printed.', { secret: true }),
  {
    path: 's3.force_path_style',
    type: { kind: 'bool' },
    default: true,
    env: 'S3_FORCE_PATH_STYLE',
    doc: 'Path-style URLs (endpoint/bucket/key). SeaweedFS, MinIO and Ceph need it unless wildcard DNS is set up.',
  },
  {
    path: 's3.create_bucket',
    type: { kind: 'bool' },
    default: true,
    env: 'S3_CREATE_BUCKET',
    doc: 'Create the bucket when it is missing. Turn off when the credentials may not create buckets.',
  },
  dur('s3.connect_timeout', '5s', 'S3_CONNECT_TIMEOUT', 100, 10 * 60 * SECOND, 'TCP connect timeout to the store.'),
  dur('s3.request_timeout', '60s', 'S3_REQUEST_TIMEOUT', SECOND, HOUR, 'Socket idle timeout of one S3 request.'),
  {
    path: 's3.part_size',
    type: { kind: 'size', min: 5 * 2 ** 20 },
    default: '64MiB',
    env: 'S3_PART_SIZE',
    doc: 'Multipart part size (at least 5MiB); a segment of at most one part goes up as one PutObject. Parts are streamed from the file: memory does not grow with it.',
  },
  {
    path: 's3.part_concurrency',
    type: { kind: 'int', min: 1, max: 16 },
    default: 4,
    env: 'S3_PART_CONCURRENCY',
    doc: 'Parts of one segment uploaded in parallel.',
  },

  s('filesystem.root', './recordings', 'FILESYSTEM_ROOT', 'With storage = "filesystem": the directory that receives the bucket layout.', {
    type: { kind: 'string', nonEmpty: true },
  }),

  {
    path: 'upload.concurrency',
    type: { kind: 'int', min: 1, max: 64 },
    default: 4,
    env: 'MAX_CONCURRENT_UPLOADS',
    doc: 'Segments uploaded at once. Raise it only when one upload cannot fill the link.',
  },
  dur(
    'upload.attempt_timeout',
    '10m',
    'UPLOAD_ATTEMPT_TIMEOUT',
    SECOND,
    24 * HOUR,
    'Deadline of one upload attempt (upload + verification); a hung attempt is aborted and retried. Must exceed the transfer time of one segment.',
  ),
  dur('upload.retry_initial', '1s', 'UPLOAD_RETRY_INITIAL', 10, HOUR, 'First retry delay after a failed upload; doubles with jitter.'),
  dur(
    'upload.retry_max',
    '60s',
    'UPLOAD_RETRY_MAX',
    10,
    HOUR,
    'Longest delay between retries. Uploads are retried forever: a segment is never dropped because the store is down.',
  ),

  dur(
    'recorder.rtsp_timeout',
    '10s',
    'RTSP_TIMEOUT',
    SECOND,
    10 * 60 * SECOND,
    'RTSP socket timeout (ffmpeg -timeout). Without it a camera that stops sending hangs ffmpeg forever.',
  ),
  dur(
    'recorder.stall_timeout',
    '20s',
    'STALL_TIMEOUT',
    8 * SECOND,
    HOUR,
    'Watchdog: restart ffmpeg when its progress has not advanced for this long. At least 8s: ffmpeg reports progress every 2s, and a shorter watchdog restarts healthy cameras on a loaded host.',
  ),
  dur('recorder.restart_initial', '1s', 'RESTART_INITIAL', 100, HOUR, 'First delay before restarting ffmpeg; doubles with jitter.'),
  dur('recorder.restart_max', '30s', 'RESTART_MAX', 100, HOUR, 'Longest delay between ffmpeg restarts.'),
  dur('recorder.stable_after', '60s', 'RESTART_STABLE_AFTER', SECOND, HOUR, 'A run that lasted this long resets the restart delay.'),
  dur(
    'recorder.stop_timeout',
    '10s',
    'FFMPEG_STOP_TIMEOUT',
    100,
    10 * 60 * SECOND,
    'After SIGINT, how long ffmpeg may take to finalize its segment before SIGKILL.',
  ),
  s('recorder.ffmpeg_path', 'ffmpeg', 'FFMPEG_PATH', 'ffmpeg binary.', { type: { kind: 'string', nonEmpty: true } }),
  s('recorder.ffprobe_path', 'ffprobe', 'FFPROBE_PATH', 'ffprobe binary (audio detection and segment checks).', { type: { kind: 'string', nonEmpty: true } }),

  dur(
    'push.idle_disconnect',
    '10s',
    'PUSH_IDLE_DISCONNECT',
    SECOND,
    HOUR,
    'A push camera (source_type = "http_push") that has pushed no picture for this long counts as disconnected (camera_stream_connected 0).',
  ),
  dur(
    'push.idle_finalize',
    '60s',
    'PUSH_IDLE_FINALIZE',
    SECOND,
    24 * HOUR,
    "A push camera that has pushed no picture for this long has its open segment finished and uploaded; the next picture starts a new one. At least push.idle_disconnect. Longer keeps one segment over short pauses; shorter gets a paused camera's last pictures to the store sooner.",
  ),
  {
    path: 'push.max_frame_bytes',
    type: { kind: 'size', min: 1024 },
    default: '2MiB',
    env: 'PUSH_MAX_FRAME_BYTES',
    doc: 'Largest JPEG a push camera may send in one request (413 above it). A 1080p JPEG is typically 150-500 KiB.',
  },

  {
    path: 'backlog.max_bytes',
    type: { kind: 'size', min: 0 },
    default: '20GiB',
    env: 'BACKLOG_MAX_BYTES',
    doc: 'Cap on segments waiting in temp_dir. Past it the oldest queued segment is dropped (one being uploaded only when nothing else waits; logged at error, counted) so recording never stops. 0 = no cap.',
  },
  {
    path: 'backlog.min_free_bytes',
    type: { kind: 'size', min: 0 },
    default: '1GiB',
    env: 'BACKLOG_MIN_FREE_BYTES',
    doc: 'Free space to keep on the temp_dir filesystem (and under temp_dir_max_bytes). Below it, while the store has stored nothing for two segment durations, the oldest queued segment is dropped; a store that keeps up loses nothing to the floor. A floor the space cannot hold is lowered to a tenth of it, with a warning.',
  },
  dur('backlog.check_interval', '10s', 'BACKLOG_CHECK_INTERVAL', 100, HOUR, 'How often the backlog and free disk space are checked.'),
  dur(
    'backlog.quarantine_max_age',
    '7d',
    'QUARANTINE_MAX_AGE',
    SECOND,
    365 * 24 * HOUR,
    'Quarantined segments (empty or unreadable, in temp_dir/.quarantine) are deleted after this long; when space is short they go first, oldest first.',
  ),

  s('api.token', '', 'API_TOKEN', 'Bearer token for the /api routes (clips, segments, events). Empty turns /api off; /health, /ready and /metrics stay open.', {
    secret: true,
  }),
  dur(
    'api.presign_expiry',
    '15m',
    'API_PRESIGN_EXPIRY',
    SECOND,
    7 * 24 * HOUR,
    'How long the presigned segment URLs from /api/cameras/{id}/segments stay valid.',
  ),
  dur('api.max_range', '2h', 'API_MAX_RANGE', SECOND, 7 * 24 * HOUR, 'Longest time range one clip export or segment listing may ask for.'),
  s(
    'api.camera_secrets_key',
    '',
    'CAMERA_SECRETS_KEY',
    'Key that encrypts the passwords of cameras added over the API before they are stored (AES-256-GCM): 32 random bytes as 64 hex characters or base64, e.g. `openssl rand -hex 32`. Keep it in a Secret; every replica needs the same key. Empty: only cameras without a password can be added over the API. A changed key makes stored cameras unreadable (each one is logged and skipped).',
    { secret: true },
  ),
  {
    path: 'api.allow_synthetic_cameras',
    type: { kind: 'bool' },
    default: false,
    env: 'API_ALLOW_SYNTHETIC_CAMERAS',
    doc: 'Let the API add `synthetic:` cameras (made by ffmpeg, for the demo and benchmarks). Off in production: the API then takes rtsp:// and rtsps:// only.',
  },

  {
    path: 'analysis.enabled',
    type: { kind: 'bool' },
    default: true,
    env: 'ANALYSIS_ENABLED',
    doc: "Look at every camera's key frames: snapshots, picture health (black, frozen, covered, blurred, moved) and motion. Only key frames are decoded, small (0.7–0.9 % of a core per 1080p camera with full-size snapshots, BENCHMARKS.md); the recording is stream-copied either way. A camera's own `analysis` table turns it on or off for that camera.",
  },
  {
    path: 'analysis.snapshot_width',
    type: { kind: 'int', min: 0, max: 7680 },
    default: 0,
    env: 'SNAPSHOT_WIDTH',
    doc: 'Width of the snapshot JPEG kept in memory for each camera (GET /api/cameras/{id}/snapshot.jpg). 0 = the camera’s own size; 640 halves the cost of snapshots for 1080p cameras. Smaller widths can be asked per request.',
  },
  dur(
    'analysis.snapshot_max_age',
    '10s',
    'SNAPSHOT_MAX_AGE',
    SECOND,
    HOUR,
    'A snapshot older than this is not served (503 with its age): the camera sends no key frames. Keep it above the cameras’ key-frame interval plus a second.',
  ),

  {
    path: 'snapshots.mode',
    type: { kind: 'enum', values: ['all', 'abnormal', 'sample', 'none'] },
    default: 'abnormal',
    env: 'SNAPSHOTS_MODE',
    doc: 'Which snapshots go to the bucket as `snapshots/{camera}/{YYYYMMDD}/{HHMMSS}_{reason}.jpg`: `abnormal` the frame that raised a picture problem or started motion; `sample` one every sample_interval; `all` both; `none` nothing. A camera’s `analysis.snapshots` overrides it.',
  },
  dur(
    'snapshots.min_interval',
    '60s',
    'SNAPSHOTS_MIN_INTERVAL',
    SECOND,
    24 * HOUR,
    'At most one snapshot per camera and reason this often: a flapping problem writes one a minute, not one a key frame.',
  ),
  dur('snapshots.sample_interval', '5m', 'SNAPSHOTS_SAMPLE_INTERVAL', 10 * SECOND, 24 * HOUR, 'One sample per camera this often, in modes `sample` and `all`.'),

  {
    path: 'events.pre_seconds',
    type: { kind: 'int', min: 0, max: 3600 },
    default: 10,
    env: 'EVENT_PRE_SECONDS',
    doc: 'Footage before an event when the request gives no pre_seconds.',
  },
  {
    path: 'events.post_seconds',
    type: { kind: 'int', min: 0, max: 3600 },
    default: 10,
    env: 'EVENT_POST_SECONDS',
    doc: 'Footage after an event when the request gives no post_seconds.',
  },
  {
    path: 'events.max_seconds',
    type: { kind: 'int', min: 1, max: 3600 },
    default: 300,
    env: 'EVENT_MAX_SECONDS',
    doc: 'Cap on pre_seconds and on post_seconds of one event.',
  },
  {
    path: 'events.metadata_max_bytes',
    type: { kind: 'size', min: 2 },
    default: '16KiB',
    env: 'EVENT_METADATA_MAX_BYTES',
    doc: 'Largest event metadata (as JSON) accepted.',
  },
  dur(
    'events.wait_max',
    '40m',
    'EVENT_WAIT_MAX',
    SECOND,
    7 * 24 * HOUR,
    'How long after its end an event waits for footage to reach the store; then the clip is cut from what is there (gaps reported), or the event fails when there is none. Keep it above segment_duration plus upload time.',
  ),
  dur('events.poll_interval', '5s', 'EVENT_POLL_INTERVAL', 100, HOUR, 'How often pending events are checked (also after every upload).'),
  {
    path: 'events.max_attempts',
    type: { kind: 'int', min: 1, max: 100 },
    default: 5,
    env: 'EVENT_MAX_ATTEMPTS',
    doc: 'Tries at cutting one event clip that fail for a reason other than the store (a segment ffmpeg cannot read); then the event ends failed with the reason. Tries back off from poll_interval, doubling, up to 10 minutes apart; a store that does not answer does not use them up.',
  },
  ...EVENT_STREAM_KEYS,
];

/** Camera ids become directory names and object key prefixes. */
export const CAMERA_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const CAMERA_KEYS = ['id', 'url', 'labels', 'source_type', 'path', 'push_token', 'stream', 'group', 'consumer', 'password_env', 'analysis'] as const;
/**
 * What a [[cameras]] table may name as its source_type; `file` takes `path`, `http_push` neither (it
 * may take `push_token`), the others `url` (`redis_stream` also `stream`).
 */
export const CONFIG_SOURCE_TYPES = ['rtsp', 'file', 'synthetic', 'http_push', 'redis_stream'] as const;
export const CAMERA_ENV = /^CAMERA(\d+)_RTSP_URL$/;

export type { CameraConfig, Config, RedisStreamConfig } from './config-types.ts';

// The event stream's keys (src/events/): where events are published (Redis, MQTT, the WebSocket)
// and how much may wait for a broker. Spread into KEYS (schema.ts); same table, same rules.
import type { KeySpec } from './schema.ts';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const dur = (path: string, def: string, env: string, minMs: number, maxMs: number, doc: string): KeySpec => ({
  path,
  type: { kind: 'duration', minMs, maxMs },
  default: def,
  env,
  doc,
});

export const EVENT_STREAM_KEYS: readonly KeySpec[] = [
  {
    path: 'redis.url',
    type: { kind: 'string' },
    default: '',
    env: 'REDIS_URL',
    secret: true,
    doc: 'Publish every event to Redis Pub/Sub (channel `{channel_prefix}{camera_id}`) and keep each camera’s state in a key: `redis://host:6379`, `rediss://` for TLS. Empty: off. A password in the URL (or redis.password) is never logged.',
  },
  {
    path: 'redis.password',
    type: { kind: 'string' },
    default: '',
    env: 'REDIS_PASSWORD',
    secret: true,
    doc: 'Redis password, when it is not in redis.url (a Kubernetes Secret sets it apart from the URL).',
  },
  {
    path: 'redis.channel_prefix',
    type: { kind: 'string', nonEmpty: true },
    default: 'camera:',
    env: 'REDIS_CHANNEL_PREFIX',
    doc: 'Pub/Sub channel of a camera’s events: this prefix and the camera id (`camera:front-door`).',
  },
  {
    path: 'redis.state_key_prefix',
    type: { kind: 'string', nonEmpty: true },
    default: 'camera-recorder:state:',
    env: 'REDIS_STATE_KEY_PREFIX',
    doc: 'Key holding a camera’s current state as JSON (docs/events/camera-state.v1.schema.json): this prefix and the camera id. Pub/Sub keeps nothing, so a late reader starts here.',
  },
  {
    path: 'mqtt.url',
    type: { kind: 'string' },
    default: '',
    env: 'MQTT_URL',
    secret: true,
    doc: 'Publish every event over MQTT and take triggers from it: `mqtt://host:1883`, `mqtts://` for TLS. Empty: off. Credentials in the URL (or mqtt.username / mqtt.password) are never logged.',
  },
  {
    path: 'mqtt.topic_prefix',
    type: { kind: 'string', nonEmpty: true },
    default: 'camera-recorder',
    env: 'MQTT_TOPIC_PREFIX',
    doc: 'Topics: `{prefix}/{camera_id}/events/{type}` (not retained), `{prefix}/{camera_id}/state` (retained), `{prefix}/available` (online/offline, the last will), and the triggers `{prefix}/{camera_id}/trigger` and `{prefix}/trigger`.',
  },
  { path: 'mqtt.username', type: { kind: 'string' }, default: '', env: 'MQTT_USERNAME', doc: 'MQTT user name, when the broker asks for one.' },
  { path: 'mqtt.password', type: { kind: 'string' }, default: '', env: 'MQTT_PASSWORD', secret: true, doc: 'MQTT password; never logged.' },
  {
    path: 'mqtt.qos',
    type: { kind: 'int', min: 0, max: 2 },
    default: 1,
    env: 'MQTT_QOS',
    doc: 'QoS of published events and states, and of the trigger subscription. 1: at least once (a repeat carries the same envelope id); 0: may be lost while the broker reconnects.',
  },
  {
    path: 'mqtt.client_id',
    type: { kind: 'string' },
    default: '',
    env: 'MQTT_CLIENT_ID',
    doc: 'MQTT client id; empty: `camera-recorder-` and the host name, so each replica has its own.',
  },
  {
    path: 'mqtt.triggers',
    type: { kind: 'bool' },
    default: true,
    env: 'MQTT_TRIGGERS',
    doc: 'Take event triggers (the body of POST /api/events) from `{prefix}/{camera_id}/trigger` and `{prefix}/trigger`.',
  },
  {
    path: 'event_stream.outbox_size',
    type: { kind: 'int', min: 10, max: 1_000_000 },
    default: 10_000,
    env: 'EVENT_OUTBOX_SIZE',
    doc: 'Events each sink holds while its broker is down or slow; beyond it the oldest are dropped and counted (camera_events_dropped_total{sink}). Recording never waits for a sink.',
  },
  dur(
    'event_stream.reconnect_initial',
    '1s',
    'EVENT_RECONNECT_INITIAL',
    100,
    HOUR,
    'First wait before a sink reconnects to its broker; doubles (with jitter) up to reconnect_max.',
  ),
  dur('event_stream.reconnect_max', '30s', 'EVENT_RECONNECT_MAX', SECOND, HOUR, 'Longest wait between two reconnects of a sink.'),
  dur(
    'event_stream.frame_ingested_interval',
    '10s',
    'EVENT_FRAME_INGESTED_INTERVAL',
    SECOND,
    HOUR,
    'A push or Redis-stream camera’s frame.ingested event comes at most this often, with the count of pictures since the last.',
  ),
  {
    path: 'event_stream.websocket_max_clients',
    type: { kind: 'int', min: 0, max: 10_000 },
    default: 100,
    env: 'WEBSOCKET_MAX_CLIENTS',
    doc: 'Most WebSocket clients at /api/ws at once; 0 turns the WebSocket off.',
  },
  {
    path: 'events.frames_default',
    type: { kind: 'int', min: 0, max: 100 },
    default: 0,
    env: 'EVENT_FRAMES_DEFAULT',
    doc: 'Evidence frames (PNG) stored with an event clip when the request does not say `frames`.',
  },
  {
    path: 'events.frames_max',
    type: { kind: 'int', min: 0, max: 100 },
    default: 16,
    env: 'EVENT_FRAMES_MAX',
    doc: 'Most evidence frames one event may ask for.',
  },
];

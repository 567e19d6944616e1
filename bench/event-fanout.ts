// What publishing events costs, and how late they arrive, against a real redis-server and a real
// mosquitto. The recorder's own event stream (createEventStream) with 25 cameras' events.
// 1. Fan-out cost: --events envelopes of a realistic mix emitted as fast as the sinks take them,
//    measured as this process's CPU seconds, for: the bus alone (the baseline: the camera states
//    and one listener), + Redis, + MQTT, + both. Events per second per core = events / CPU seconds;
//    the brokers' own CPU is reported beside it.
// 2. Latency: --rate events a second spread over 25 cameras for --seconds, with subscribers on
//    Redis (PSUBSCRIBE camera:*) and MQTT ({prefix}/+/events/#) in a child process; from the
//    envelope's time (stamped when the component emits) to the subscriber's receipt, p50/p95/max.
//    The baseline is the same measured on the bus itself (a listener in this process).
//
//   npm exec -- node bench/event-fanout.ts [--events 20000] [--rate 250] [--seconds 30]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { systemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config/load.ts';
import { createEventStream } from '../src/events/event-stream.ts';
import type { EventData, EventType } from '../src/events/event-types.ts';
import { createSinkMetrics } from '../src/events/sink-metrics.ts';
import { startMosquitto } from '../test/support/mosquitto.ts';
import { startRedisServer } from '../test/support/redis-server.ts';
import { cleanupAll, installSignalHandlers, onCleanup } from './lib/cleanup.ts';
import { machineInfo } from './lib/machine.ts';
import { descendants, readStat } from './lib/proc.ts';
import { fmt, quantile, sleep } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    rate: { type: 'string', default: '250' },
    seconds: { type: 'string', default: '30' },
  },
});
const EVENTS = Number(values.events);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const CAMERAS = Array.from({ length: 25 }, (_, i) => `camera-${i + 1}`);
const PREFIX = 'bench';
installSignalHandlers();

const iso = (ms: number) => new Date(ms).toISOString();
/** The n-th event of a mix a busy site produces: motion most, then health and segments. */
function nth(n: number): [EventType, EventData[EventType]] {
  const at = iso(Date.now());
  switch (n % 8) {
    case 0:
    case 1:
      return ['motion.detected', { area: 0.12, box: { x: 0.1, y: 0.2, w: 0.3, h: 0.4 }, since: at }];
    case 2:
    case 3:
      return ['motion.ended', { since: at, duration_seconds: 4.2, max_area: 0.2, box: { x: 0.1, y: 0.2, w: 0.3, h: 0.4 } }];
    case 4:
      return ['health.problem', { problem: 'frozen', since: at }];
    case 5:
      return ['health.ok', { problem: 'frozen', since: at }];
    case 6:
      return ['segment.recorded', { file: '20261201-120000.mp4', start: at, end: at, duration_seconds: 900, bytes: 412_345_678 }];
    default:
      return ['segment.uploaded', { key: 'camera-1/20261201/120000_camera-1.mp4', bytes: 412_345_678, start: at, end: at, sha256: 'a'.repeat(64) }];
  }
}

function stream(env: Record<string, string>) {
  const config = loadConfig(undefined, {
    STORAGE: 'filesystem',
    FILESYSTEM_ROOT: '/nonexistent',
    MQTT_TOPIC_PREFIX: PREFIX,
    EVENT_OUTBOX_SIZE: '1000000',
    ...Object.fromEntries(CAMERAS.map((_, i) => [`CAMERA${i + 1}_RTSP_URL`, `rtsp://127.0.0.1:9/${i}`])),
    ...env,
  });
  const registry = new Registry();
  const s = createEventStream({ config, log: pino({ level: 'warn' }), clock: systemClock, metrics: createSinkMetrics(registry) });
  for (const c of CAMERAS) s.states.track(c, 'rtsp', Date.now());
  return s;
}

const published = (s: ReturnType<typeof stream>) => s.sinks.reduce((n, k) => n + (k.queued === 0 ? 0 : 1), 0) === 0;
const brokersCpu = (): number => descendants(process.pid).reduce((n, p) => n + (readStat(p.pid)?.cpu ?? 0), 0);

async function cost(label: string, env: Record<string, string>): Promise<{ label: string; eventsPerCoreSecond: number; cpu: number; brokerCpu: number }> {
  const s = stream(env);
  s.start();
  while (s.sinks.some((k) => !k.up)) await sleep(20);
  let got = 0;
  s.bus.subscribe(() => void got++);
  await sleep(200);
  const cpu0 = process.cpuUsage();
  const broker0 = brokersCpu();
  for (let i = 0; i < EVENTS; i++) {
    const [type, data] = nth(i);
    s.bus.emit(type, CAMERAS[i % CAMERAS.length]!, data);
    if (i % 500 === 499) await new Promise((r) => setImmediate(r)); // let the sinks' loops run, as between a recorder's events
  }
  while (!published(s)) await sleep(5);
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1e6;
  const brokerCpu = brokersCpu() - broker0;
  await s.stop();
  if (got !== EVENTS) throw new Error(`${label}: the listener got ${got} of ${EVENTS}`);
  return { label, eventsPerCoreSecond: EVENTS / cpu, cpu, brokerCpu };
}

async function latency(redisUrl: string, mqttUrl: string) {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'lib', 'event-subscriber.ts'), redisUrl, mqttUrl, PREFIX]);
  onCleanup('event subscriber', () => void child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.pipe(process.stderr);
  while (!out.includes('ready')) await sleep(20);
  const s = stream({ REDIS_URL: redisUrl, MQTT_URL: mqttUrl });
  const onBus: number[] = [];
  s.bus.subscribe((e) => onBus.push(Date.now() - Date.parse(e.time)));
  s.start();
  while (s.sinks.some((k) => !k.up)) await sleep(20);
  const total = RATE * SECONDS;
  const t0 = Date.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    const [type, data] = nth(i);
    s.bus.emit(type, CAMERAS[i % CAMERAS.length]!, data);
  }
  while (!published(s)) await sleep(5);
  await sleep(500);
  await s.stop();
  const done = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await done;
  const lat = JSON.parse(out.split('\n').find((l) => l.startsWith('{')) ?? '{}') as { redis: number[]; mqtt: number[] };
  const row = (label: string, xs: number[]) => ({ label, received: xs.length, p50: quantile(xs, 0.5), p95: quantile(xs, 0.95), max: Math.max(...xs) });
  return { sent: total, rows: [row('bus listener (baseline)', onBus), row('redis subscriber', lat.redis), row('mqtt subscriber (QoS 1)', lat.mqtt)] };
}

try {
  const [redis, broker] = await Promise.all([startRedisServer(), startMosquitto()]);
  onCleanup('redis-server', () => redis.close());
  onCleanup('mosquitto', () => broker.close());
  console.log(`machine: ${JSON.stringify(machineInfo())}`);
  console.log(`fan-out cost, ${EVENTS} events over ${CAMERAS.length} cameras:`);
  const rows = [];
  for (const [label, env] of [
    ['bus only (baseline)', {}],
    ['+ redis', { REDIS_URL: redis.url }],
    ['+ mqtt', { MQTT_URL: broker.url }],
    ['+ redis + mqtt', { REDIS_URL: redis.url, MQTT_URL: broker.url }],
  ] as const) {
    const r = await cost(label, env);
    rows.push(r);
    console.log(
      `  ${label.padEnd(22)} ${fmt(r.eventsPerCoreSecond, 0).padStart(9)} events/s per core of the recorder (${fmt(r.cpu, 2)} CPU s), brokers ${fmt(r.brokerCpu, 2)} CPU s`,
    );
  }
  const base = rows[0]!.cpu;
  for (const r of rows.slice(1)) console.log(`  ${r.label}: ${fmt(((r.cpu - base) / EVENTS) * 1e6, 1)} µs of CPU per event above the bus alone`);
  console.log(`latency, ${RATE} events/s over ${CAMERAS.length} cameras for ${SECONDS} s, from emit to receipt (ms):`);
  const lat = await latency(redis.url, broker.url);
  for (const r of lat.rows)
    console.log(`  ${r.label.padEnd(24)} received ${r.received}/${lat.sent}  p50 ${fmt(r.p50, 1)}  p95 ${fmt(r.p95, 1)}  max ${fmt(r.max, 1)}`);
} finally {
  await cleanupAll();
}

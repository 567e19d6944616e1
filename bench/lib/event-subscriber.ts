// A subscriber for bench/event-fanout.ts, in a process of its own: Redis (PSUBSCRIBE camera:*) and
// MQTT ({prefix}/+/events/#, QoS 1). Each envelope's latency, receipt − its `time`, per sink; printed
// as one JSON line at SIGTERM. Prints "ready" once both subscriptions stand.
import mqtt from 'mqtt';
import { createClient } from 'redis';

const [redisUrl, mqttUrl, prefix] = process.argv.slice(2);
const lat: { redis: number[]; mqtt: number[] } = { redis: [], mqtt: [] };
const latency = (payload: string): number => Date.now() - Date.parse((JSON.parse(payload) as { time: string }).time);
const r = createClient({ url: redisUrl! });
await r.connect();
await r.pSubscribe('camera:*', (m) => lat.redis.push(latency(m)));
const m = await mqtt.connectAsync(mqttUrl!);
m.on('message', (_topic, p) => lat.mqtt.push(latency(p.toString())));
await m.subscribeAsync(`${prefix}/+/events/#`, { qos: 1 });
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify(lat)}\n`);
  process.exit(0);
});

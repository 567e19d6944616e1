// What a redis_stream camera costs the recorder: RedisStreamSource against a real redis-server,
// frames into a sink that takes them at once (the recording's cost is not in these numbers).
// 1. Throughput: a backlog of --backlog entries read by one source, frames per second (catching up).
// 2. Live: --cameras streams, each fed at 2 fps by a producer in a child process, each read by its
//    own source in this process, over --seconds; this process's CPU (and redis-server's) per camera.
//
//   npm exec -- node bench/redis-stream.ts [--backlog 5000] [--cameras 10] [--seconds 60] [--width 1280]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createClient } from 'redis';
import type { FrameSink } from '../src/ingest/frame-sink.ts';
import { RedisStreamSource } from '../src/ingest/redis-stream-source.ts';
import { startRedisServer } from '../test/support/redis-server.ts';
import { cleanupAll, installSignalHandlers, onCleanup } from './lib/cleanup.ts';
import { machineInfo } from './lib/machine.ts';
import { readStat } from './lib/proc.ts';
import { fmt, sleep } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    backlog: { type: 'string', default: '5000' },
    cameras: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '60' },
    width: { type: 'string', default: '1280' },
  },
});
const backlog = Number(values.backlog);
const cameras = Number(values.cameras);
const seconds = Number(values.seconds);
const width = Number(values.width);
installSignalHandlers();

// A picture of the kind a camera-check producer sends: a scene with detail, JPEG quality ~75.
const JPEG = execFileSync('ffmpeg', [
  ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${Math.round((width * 9) / 16)}`],
  ...['-frames:v', '1', '-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-q:v', '5', '-f', 'image2pipe', 'pipe:1'],
]);
const log = pino({ level: 'warn' });
const meta = (): string => JSON.stringify({ ts: Date.now() / 1000, camera: 'bench' });

// Adds one frame to each camera's stream every 500 ms, capped as a producer would (MAXLEN ~ 1000).
const PRODUCER = `
import { createClient } from 'redis';
import { execFileSync } from 'node:child_process';
const [url, n, width] = process.argv.slice(1);
const jpeg = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=' + width + 'x' + Math.round(width * 9 / 16), '-frames:v', '1', '-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-q:v', '5', '-f', 'image2pipe', 'pipe:1']);
const client = createClient({ url });
await client.connect();
setInterval(() => {
  for (let i = 0; i < Number(n); i++) {
    void client.xAdd('live-' + i, '*', { meta: JSON.stringify({ ts: Date.now() / 1000 }), jpeg }, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: 1000 } });
  }
}, 500);
process.on('SIGTERM', () => { client.destroy(); process.exit(0); });
`;

class CountingSink implements FrameSink {
  taken = 0;
  async push(): Promise<void> {
    this.taken++;
  }
}

const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const redisCpu = (pid: number | undefined): number => (pid === undefined ? NaN : (readStat(pid)?.cpu ?? NaN));

try {
  const machine = machineInfo();
  const server = await startRedisServer();
  onCleanup('redis-server', () => server.close());
  const admin = createClient({ url: server.url });
  await admin.connect();
  onCleanup('admin client', () => admin.destroy());

  // 1. Throughput over a backlog.
  for (let i = 0; i < backlog; i += 100) {
    const batch = admin.multi();
    for (let j = i; j < Math.min(backlog, i + 100); j++) batch.xAdd('backlog', '*', { meta: meta(), jpeg: JPEG });
    await batch.exec();
  }
  const sink = new CountingSink();
  const source = new RedisStreamSource({ url: server.url, stream: 'backlog', group: 'bench', consumer: 'bench', sink, log });
  const t0 = performance.now();
  const cpu0 = cpuSeconds();
  const redis0 = redisCpu(server.pid());
  source.start();
  while (sink.taken < backlog) await sleep(5);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - cpu0;
  const redis = redisCpu(server.pid()) - redis0;
  await source.stop();
  await admin.del('backlog');

  // 2. Live: 2 fps per camera from a producer in its own process, so its CPU is not counted here.
  const producer: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', PRODUCER, server.url, String(cameras), String(width)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  onCleanup('producer', () => void producer.kill('SIGKILL'));
  const sinks = Array.from({ length: cameras }, () => new CountingSink());
  const sources = sinks.map((s, i) => new RedisStreamSource({ url: server.url, stream: `live-${i}`, group: 'bench', consumer: `cam-${i}`, sink: s, log }));
  for (const s of sources) s.start();
  await sleep(5000); // connected, producer running
  const live0 = { cpu: cpuSeconds(), redis: redisCpu(server.pid()), frames: sinks.reduce((n, s) => n + s.taken, 0), t: performance.now() };
  await sleep(seconds * 1000);
  const liveElapsed = (performance.now() - live0.t) / 1000;
  const liveCpu = cpuSeconds() - live0.cpu;
  const liveRedis = redisCpu(server.pid()) - live0.redis;
  const liveFrames = sinks.reduce((n, s) => n + s.taken, 0) - live0.frames;
  producer.kill('SIGTERM');
  await Promise.all(sources.map((s) => s.stop()));

  const pct = (cpuS: number, wallS: number): string => fmt((cpuS / wallS) * 100, 2);
  console.log(
    `\n${machine.cpuModel}, ${machine.nproc} CPUs, Node ${machine.node}, load ${machine.loadavgAtStart}; JPEG ${width} px wide, ${JPEG.length} bytes\n`,
  );
  console.log('| measurement | result |');
  console.log('|---|---:|');
  console.log(`| backlog of ${backlog} entries, one source: frames per second | ${fmt(backlog / elapsed, 0)} |`);
  console.log(`| … recorder CPU per frame (µs) | ${fmt((cpu / backlog) * 1e6, 0)} |`);
  console.log(`| … redis-server CPU per frame (µs) | ${fmt((redis / backlog) * 1e6, 0)} |`);
  console.log(
    `| live: ${cameras} cameras at 2 fps for ${fmt(liveElapsed, 0)} s, frames taken | ${liveFrames} (expected ~${Math.round(cameras * 2 * liveElapsed)}) |`,
  );
  console.log(`| … recorder CPU, % of one core per camera | ${pct(liveCpu / cameras, liveElapsed)} |`);
  console.log(`| … redis-server CPU, % of one core per camera | ${pct(liveRedis / cameras, liveElapsed)} |`);
} finally {
  await cleanupAll();
}

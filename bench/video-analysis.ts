// What the default analysis costs and how fast a snapshot is served, measured on the real CLI.
//
// Cost: four recorders record the same 1080p15 4 Mbit/s cameras (one shared encoder) side by side
// over one window, `--cameras` each, filesystem store: analysis off (recording only), the default
// analysis (gray key frames, health, motion, a full-size JPEG per key frame), the default with
// snapshot_width = 640, and frames analysed at 5 a second from a full decode (frame_rate = 5). CPU of each recorder and its ffmpegs from /proc, per camera, % of one core.
//
// Snapshots: one recorder with `--snapshot-cameras` cameras (25); GET snapshot.jpg of a random camera
// `--requests` times, 4 at a time, measuring the answer time and the X-Frame-Age it reports. Each
// snapshot request is paired with a GET /ready, the cheapest answer the server gives: the baseline
// that tells the machine's load from the snapshot's own cost.
//
//   npm run build && npm exec -- node bench/video-analysis.ts [--seconds 120] [--cameras 4] [--snapshot-cameras 25] [--requests 2000]
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../test/support/ports.ts';
import { RecorderProcess } from '../test/support/recorder-process.ts';
import { startRtspServer } from '../test/support/rtsp-server.ts';
import { cleanupAll, installSignalHandlers, onCleanup } from './lib/cleanup.ts';
import { machineInfo } from './lib/machine.ts';
import { descendants, killTree, readStat } from './lib/proc.ts';
import { CAMERA } from './lib/servers.ts';
import { fmt, median, p95, quantile, sleep } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    warmup: { type: 'string', default: '30' },
    cameras: { type: 'string', default: '4' },
    'snapshot-cameras': { type: 'string', default: '25' },
    requests: { type: 'string', default: '2000' },
    only: { type: 'string' },
    out: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const perRecorder = Number(values.cameras);
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const outDir = resolve(values.out ?? join('.bench-out', `video-${stamp}`));
mkdirSync(outDir, { recursive: true });
installSignalHandlers();
const TOKEN = 'bench-video-analysis-token';

interface Shape {
  name: string;
  env: Record<string, string>;
  /** Each camera's own `analysis` table (TOML inline), given in a config file. */
  analysis?: string;
}

const SHAPES: Shape[] = [
  { name: 'recording only', env: { ANALYSIS_ENABLED: 'false' } },
  { name: 'default analysis (full-size snapshots)', env: { ANALYSIS_ENABLED: 'true' } },
  { name: 'default analysis, snapshot_width = 640', env: { ANALYSIS_ENABLED: 'true', SNAPSHOT_WIDTH: '640' } },
  { name: 'frame_rate = 5 (full decode), snapshot_width = 640', env: { ANALYSIS_ENABLED: 'true', SNAPSHOT_WIDTH: '640' }, analysis: '{ frame_rate = 5 }' },
];

async function recorder(urls: string[], env: Record<string, string>, analysis?: string): Promise<RecorderProcess> {
  const root = mkdtempSync(join(tmpdir(), 'bench-video-'));
  const configFile = join(root, 'config.toml');
  const tables = urls.map((u, i) => `[[cameras]]\nid = "camera-${i + 1}"\nurl = "${u}"\n${analysis ? `analysis = ${analysis}\n` : ''}`);
  writeFileSync(configFile, tables.join('\n'));
  const proc = new RecorderProcess(
    { STORAGE: 'filesystem', FILESYSTEM_ROOT: join(root, 'store'), TEMP_DIR: join(root, 'tmp'), SEGMENT_DURATION: '60s', API_TOKEN: TOKEN, ...env },
    await freePort(),
    ['--config', configFile],
  );
  onCleanup(`recorder ${proc.child.pid}`, () => {
    if (proc.child.pid !== undefined && proc.child.exitCode === null) killTree(proc.child.pid);
  });
  await proc.until(async () => (await proc.metric('camera_stream_connected')) === urls.length, 120_000, 'every camera connected');
  return proc;
}

/** CPU seconds of a recorder and of its ffmpegs. */
function cpuOf(proc: RecorderProcess): { node: number; ffmpeg: number } {
  const pid = proc.child.pid as number;
  const ffmpeg = descendants(pid)
    .filter((p) => p.comm === 'ffmpeg')
    .reduce((s, p) => s + p.cpu, 0);
  return { node: readStat(pid)?.cpu ?? Number.NaN, ffmpeg };
}

async function cost(): Promise<string[]> {
  const mounts = Object.fromEntries(SHAPES.flatMap((_, s) => Array.from({ length: perRecorder }, (_, i) => [`/s${s}c${i}`, 'aac' as const])));
  const server = await startRtspServer({ mounts, size: CAMERA.size, fps: CAMERA.fps, kbps: CAMERA.kbps, sharedSource: true });
  onCleanup('rtsp server', () => server.kill());
  const procs = await Promise.all(
    SHAPES.map((shape, s) =>
      recorder(
        Array.from({ length: perRecorder }, (_, i) => server.url(`/s${s}c${i}`)),
        shape.env,
        shape.analysis,
      ),
    ),
  );
  await sleep(warmup * 1000);
  const before = procs.map(cpuOf);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const after = procs.map(cpuOf);
  const wall = (performance.now() - t0) / 1000;
  const analysed = await Promise.all(procs.map((p) => p.metric('camera_frames_analysed_total')));
  const dropped = await Promise.all(procs.map((p) => p.metric('camera_frames_dropped_total')));
  const rows = SHAPES.map((shape, i) => {
    const node = (((after[i]!.node - before[i]!.node) / wall) * 100) / perRecorder;
    const ffmpeg = (((after[i]!.ffmpeg - before[i]!.ffmpeg) / wall) * 100) / perRecorder;
    return { shape: shape.name, node, ffmpeg, total: node + ffmpeg, analysed: analysed[i]!, dropped: dropped[i]! };
  });
  await Promise.all(procs.map((p) => p.stop()));
  await server.kill();
  const base = rows[0]!;
  writeFileSync(join(outDir, 'cost.json'), `${JSON.stringify({ machine: machineInfo(), seconds: wall, perRecorder, rows }, null, 1)}\n`);
  return [
    `Analysis cost per camera, ${CAMERA.size} ${CAMERA.fps} fps ${CAMERA.kbps} kbit/s ${CAMERA.gopSec} s GOP, ${perRecorder} cameras per recorder, ${fmt(wall, 0)} s window, % of one core`,
    '',
    '| shape | Node | ffmpeg | together | above recording only | key frames analysed | dropped |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) => `| ${r.shape} | ${fmt(r.node, 2)} | ${fmt(r.ffmpeg, 2)} | ${fmt(r.total, 2)} | ${fmt(r.total - base.total, 2)} | ${r.analysed} | ${r.dropped} |`,
    ),
  ];
}

async function snapshots(): Promise<string[]> {
  const count = Number(values['snapshot-cameras']);
  const requests = Number(values.requests);
  const mounts = Object.fromEntries(Array.from({ length: count }, (_, i) => [`/c${i}`, 'aac' as const]));
  const server = await startRtspServer({ mounts, size: CAMERA.size, fps: CAMERA.fps, kbps: CAMERA.kbps, sharedSource: true });
  onCleanup('rtsp server', () => server.kill());
  const proc = await recorder(
    Array.from({ length: count }, (_, i) => server.url(`/c${i}`)),
    { ANALYSIS_ENABLED: 'true' },
  );
  await sleep(warmup * 1000);
  const times: number[] = [];
  const ready: number[] = [];
  const ages: number[] = [];
  let failed = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests) {
      next++;
      const camera = `camera-${1 + Math.floor(Math.random() * count)}`;
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${proc.port}/api/cameras/${camera}/snapshot.jpg`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      await res.arrayBuffer();
      times.push(performance.now() - t);
      if (res.status === 200) ages.push(Number(res.headers.get('x-frame-age')));
      else failed++;
      const r = performance.now();
      await (await fetch(`http://127.0.0.1:${proc.port}/ready`)).arrayBuffer();
      ready.push(performance.now() - r);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  await proc.stop();
  await server.kill();
  writeFileSync(join(outDir, 'snapshots.json'), `${JSON.stringify({ machine: machineInfo(), count, times, ready, ages, failed }, null, 1)}\n`);
  const row = (name: string, t: number[]): string => `| ${name} | ${fmt(median(t), 1)} ms | ${fmt(p95(t), 1)} ms | ${fmt(quantile(t, 0.99), 1)} ms |`;
  return [
    `Snapshot requests, ${count} cameras of ${CAMERA.size}, ${requests} requests 4 at a time (full-size JPEGs from memory), each paired with a GET /ready`,
    '',
    '| request | p50 | p95 | p99 |',
    '|---|---:|---:|---:|',
    row('snapshot.jpg', times),
    row('/ready (baseline)', ready),
    '',
    `X-Frame-Age of the answers: p50 ${fmt(median(ages), 2)} s, p95 ${fmt(p95(ages), 2)} s, max ${fmt(Math.max(...ages), 2)} s; not 200: ${failed}`,
  ];
}

try {
  const lines: string[] = [];
  if (values.only !== 'snapshots') lines.push(...(await cost()), '');
  if (values.only !== 'cost') lines.push(...(await snapshots()));
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await cleanupAll();
}

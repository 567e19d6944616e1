// What the frame tap costs: the same 1080p15 4 Mbit/s camera (one shared encoder) recorded side by
// side by four ffmpeg shapes, each with its own Node reader (bench/lib/tap-variant.ts), over one
// window: recording only; + key frames decoded to 320×180 gray raw frames; + a 640-wide JPEG per
// key frame; + a full-size JPEG per key frame. CPU from /proc, % of one core.
//
//   npm exec -- node bench/frame-tap.ts [--seconds 120] [--warmup 15]
//
// Writes results.json to .bench-out/tap-<time>/ and prints a markdown table.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startRtspServer } from '../test/support/rtsp-server.ts';
import { cleanupAll, installSignalHandlers, onCleanup } from './lib/cleanup.ts';
import { machineInfo } from './lib/machine.ts';
import { descendants, type ProcStat, readStat } from './lib/proc.ts';
import { CAMERA } from './lib/servers.ts';
import { fmt, sleep } from './lib/stats.ts';
import { VARIANTS, type Variant } from './lib/tap-variant.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '120' }, warmup: { type: 'string', default: '15' }, out: { type: 'string' } } });
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const outDir = resolve(values.out ?? join('.bench-out', `tap-${stamp}`));
mkdirSync(outDir, { recursive: true });
installSignalHandlers();

interface Running {
  variant: Variant;
  child: ChildProcess;
  output: Promise<string>;
}

/** CPU seconds of the Node reader and of its ffmpeg, now. */
function cpuOf(r: Running): { node: number; ffmpeg: number } {
  const pid = r.child.pid as number;
  const node = readStat(pid)?.cpu ?? NaN;
  const ffmpeg = descendants(pid).find((p: ProcStat) => p.comm === 'ffmpeg')?.cpu ?? NaN;
  return { node, ffmpeg };
}

try {
  // All mounts send AAC so that they all relay one encoder: the same picture for every shape.
  const mounts = Object.fromEntries(VARIANTS.map((_, i) => [`/cam${i + 1}`, 'aac' as const]));
  const server = await startRtspServer({ mounts, size: CAMERA.size, fps: CAMERA.fps, kbps: CAMERA.kbps, sharedSource: true });
  onCleanup('rtsp server', () => server.kill());
  const running: Running[] = VARIANTS.map((variant, i) => {
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'lib', 'tap-variant.ts'), variant, server.url(`/cam${i + 1}`), join(outDir, `cam${i + 1}`)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    const output = new Promise<string>((done) => child.once('exit', () => done(out)));
    onCleanup(`tap ${variant}`, () => void child.kill('SIGKILL'));
    return { variant, child, output };
  });
  await sleep(warmup * 1000);
  const before = running.map(cpuOf);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const after = running.map(cpuOf);
  const wall = (performance.now() - t0) / 1000;
  for (const r of running) r.child.kill('SIGTERM');
  const counts = await Promise.all(running.map(async (r) => JSON.parse((await r.output).trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>));
  const rows = running.map((r, i) => {
    const b = before[i] as { node: number; ffmpeg: number };
    const a = after[i] as { node: number; ffmpeg: number };
    return { variant: r.variant, ffmpegPct: ((a.ffmpeg - b.ffmpeg) / wall) * 100, nodePct: ((a.node - b.node) / wall) * 100, counts: counts[i] };
  });
  const base = rows[0] as (typeof rows)[number];
  const lines = [
    `Frame tap cost, ${CAMERA.size} ${CAMERA.fps} fps ${CAMERA.kbps} kbit/s, ${CAMERA.gopSec} s GOP, ${fmt(wall, 0)} s window, % of one core`,
    '',
    '| shape | ffmpeg | above recording | Node reader | above recording | key frames read | JPEGs (size of the last) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const c = r.counts as { frames?: number; dropped?: number; jpegs?: number; lastJpegBytes?: number };
      const jpeg = c.jpegs ? `${c.jpegs} (last ${fmt((c.lastJpegBytes ?? 0) / 1024, 0)} KiB)` : '–';
      return `| ${r.variant} | ${fmt(r.ffmpegPct, 2)} | ${fmt(r.ffmpegPct - base.ffmpegPct, 2)} | ${fmt(r.nodePct, 2)} | ${fmt(r.nodePct - base.nodePct, 2)} | ${c.frames ?? 0} | ${jpeg} |`;
    }),
  ];
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify({ machine: machineInfo(), seconds: wall, rows }, null, 1)}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await cleanupAll();
}

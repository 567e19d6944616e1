// What one http_push camera costs: the real CLI (dist/main.js, filesystem store) with one push
// camera, first idle (no picture: no ffmpeg runs), then fed JPEGs over HTTP as a camera would
// (multipart POSTs with its token) at --fps for --seconds. CPU of the service's Node process and of
// its ffmpeg children from /proc, % of one core; the sender (this process) is the camera and is
// not counted.
//
//   npm run build --silent && npm exec -- node bench/push-camera.ts [--seconds 60] [--fps 2] [--size 1280x720]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { jpegPictures } from '../test/support/jpeg-pictures.ts';
import { freePort } from '../test/support/ports.ts';
import { CLI } from '../test/support/recorder-process.ts';
import { cleanupAll, installSignalHandlers, onCleanup } from './lib/cleanup.ts';
import { machineInfo } from './lib/machine.ts';
import { descendants, readStat } from './lib/proc.ts';
import { fmt, sleep } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    fps: { type: 'string', default: '2' },
    size: { type: 'string', default: '1280x720' },
    warmup: { type: 'string', default: '10' },
  },
});
const seconds = Number(values.seconds);
const fps = Number(values.fps);
const warmup = Number(values.warmup);
const TOKEN = 'bench-push-token-0123456789';
installSignalHandlers();

/** CPU seconds so far of the service and of its ffmpeg children (running, plus those it has reaped). */
function cpu(pid: number): { node: number; ffmpeg: number } {
  const self = readStat(pid);
  const ffmpeg = descendants(pid).filter((p) => p.comm === 'ffmpeg');
  return { node: self?.cpu ?? NaN, ffmpeg: ffmpeg.reduce((s, p) => s + p.cpu, 0) + (self?.childCpu ?? 0) };
}

/** % of one core of each part over `ms`, while `during` runs. */
async function window(pid: number, ms: number, during: Promise<void> | undefined): Promise<{ node: number; ffmpeg: number }> {
  const a = cpu(pid);
  const t = performance.now();
  await Promise.all([sleep(ms), during]);
  const b = cpu(pid);
  const s = (performance.now() - t) / 1000;
  return { node: ((b.node - a.node) / s) * 100, ffmpeg: ((b.ffmpeg - a.ffmpeg) / s) * 100 };
}

const m = machineInfo();
try {
  const dir = mkdtempSync(join(tmpdir(), 'bench-push-'));
  const config = join(dir, 'config.toml');
  writeFileSync(config, `[[cameras]]\nid = "push-1"\nsource_type = "http_push"\npush_token = "${TOKEN}"\n`);
  const port = await freePort();
  const child = spawn(process.execPath, [CLI], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      CONFIG_PATH: config,
      STORAGE: 'filesystem',
      FILESYSTEM_ROOT: join(dir, 'store'),
      TEMP_DIR: join(dir, 'spool'),
      METRICS_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      SEGMENT_DURATION: '60s',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  onCleanup('recorder', () => {
    child.kill('SIGKILL');
  });
  const pid = child.pid as number;
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/ready`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (i > 240) throw new Error('the recorder did not become ready');
    await sleep(250);
  }
  const pictures = jpegPictures(fps * 10, values.size);
  const bytes = pictures.reduce((s, p) => s + p.length, 0) / pictures.length;

  const idle = await window(pid, seconds * 1000, undefined);

  // the camera: one POST per picture, on a fixed schedule
  let pushing = true;
  let sent = 0;
  let refused = 0;
  const sender = (async () => {
    const start = performance.now();
    for (let i = 0; pushing; i++) {
      const form = new FormData();
      form.append('frame_file', new Blob([pictures[i % pictures.length] as Buffer], { type: 'image/jpeg' }), 'p.jpg');
      const res = await fetch(`http://127.0.0.1:${port}/api/ingest/push/push-1`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: form });
      await res.arrayBuffer();
      if (res.status === 204) sent++;
      else refused++;
      await sleep(Math.max(0, start + ((i + 1) * 1000) / fps - performance.now()));
    }
  })();
  await sleep(warmup * 1000);
  const busy = await window(pid, seconds * 1000, undefined);
  pushing = false;
  await sender;

  console.log(
    `\n${m.nproc} × ${m.cpuModel}, load ${m.loadavgAtStart} at the start, ${m.ffmpeg}, ${values.size} JPEGs of ${fmt(bytes / 1024, 0)} KiB at ${fps}/s, ${seconds} s windows (after ${warmup} s of warm-up)\n`,
  );
  console.log('| window | Node (service) | ffmpeg | total |');
  console.log('|---|---:|---:|---:|');
  console.log(`| idle (no picture, no ffmpeg) | ${fmt(idle.node, 2)} | ${fmt(idle.ffmpeg, 2)} | ${fmt(idle.node + idle.ffmpeg, 2)} |`);
  console.log(`| pushing | ${fmt(busy.node, 2)} | ${fmt(busy.ffmpeg, 2)} | ${fmt(busy.node + busy.ffmpeg, 2)} |`);
  console.log(
    `| above idle | ${fmt(busy.node - idle.node, 2)} | ${fmt(busy.ffmpeg - idle.ffmpeg, 2)} | **${fmt(busy.node + busy.ffmpeg - idle.node - idle.ffmpeg, 2)}** |`,
  );
  console.log(`\npictures taken: ${sent}, refused: ${refused}`);
} finally {
  await cleanupAll();
}

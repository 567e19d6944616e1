// Benchmarks of camera-recorder against same-run baselines, on real servers (GStreamer RTSP cameras,
// Ceph RGW). See BENCHMARKS.md.
//
//   npm run bench:quick                      # a few minutes
//   npm run bench                            # full mode (about an hour)
//   npm run bench -- --only cost,upload      # a subset: cost, capacity, upload, recovery, adds, soak
//   npm run bench -- --only soak --seed 42   # the soak (only when named; 30 min, quick ~7) with a given fault schedule
//   npm run bench -- --profile               # also write V8 CPU profiles of the recorder
//
// Writes results.json and report.md to .bench-out/<mode>-<time>/ (or --out DIR) and prints the report.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { measureEncoderCost, runCapacity } from './capacity.ts';
import { runCameraAdds } from './camera-adds.ts';
import { runCost } from './cost.ts';
import { cleanupAll, installSignalHandlers } from './lib/cleanup.ts';
import { progressLog, type Ctx } from './lib/context.ts';
import { machineInfo } from './lib/machine.ts';
import { Sampler } from './lib/sampler.ts';
import { startCameras, startStore } from './lib/servers.ts';
import { MODES } from './modes.ts';
import { runRecovery } from './recovery.ts';
import { runSoak, soakSeed } from './soak.ts';
import { renderReport, type Results } from './report.ts';
import { runUpload } from './upload.ts';

const BENCHES = ['cost', 'capacity', 'upload', 'recovery', 'adds', 'soak'] as const;
type Bench = (typeof BENCHES)[number];
/** run without --only; the soak runs only when named (it is as long as all the others together) */
const DEFAULT_BENCHES: readonly Bench[] = ['cost', 'capacity', 'upload', 'recovery', 'adds'];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    out: { type: 'string' },
    seed: { type: 'string' },
  },
});
const mode = MODES[values.quick ? 'quick' : 'full'];
const only = new Set<Bench>(values.only ? (values.only.split(',').map((s) => s.trim()) as Bench[]) : DEFAULT_BENCHES);
const seed = soakSeed(values.seed);
for (const b of only) if (!BENCHES.includes(b)) throw new Error(`--only: unknown benchmark ${b} (${BENCHES.join(', ')})`);
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const outDir = resolve(values.out ?? join('.bench-out', `${mode.name}-${stamp}`));
mkdirSync(outDir, { recursive: true });
const profileDir = values.profile ? join(outDir, 'profiles') : undefined;

installSignalHandlers();
const log = progressLog();
const t0 = Date.now();
const results: Results = {
  mode: mode.name,
  command: `npm run ${mode.name === 'quick' ? 'bench:quick' : 'bench'}${
    process.argv.slice(2).filter((a) => a !== '--quick').length
      ? ` -- ${process.argv
          .slice(2)
          .filter((a) => a !== '--quick')
          .join(' ')}`
      : ''
  }`,
  machine: machineInfo(),
  startedAt: new Date().toISOString(),
  errors: [],
};
const save = (): void => {
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
  writeFileSync(join(outDir, 'report.md'), `${renderReport(results)}\n`);
};

let exitCode = 0;
try {
  log(`${mode.name} mode: ${[...only].join(', ')}; results in ${outDir}`);
  const needCameras = only.has('cost') || only.has('capacity') || only.has('adds');
  const mounts = Math.max(
    ...(only.has('cost') ? mode.cost.counts : [1]),
    ...(only.has('capacity') ? mode.capacity.ladder : [1]),
    only.has('adds') ? mode.adds.cameras + 1 : 1,
  );
  // objects live in the memstore OSD's RAM until deleted and garbage-collected (every 10 s here)
  const [store, cameras] = await Promise.all([startStore(8 * 2 ** 30), needCameras ? startCameras(mounts) : Promise.resolve(undefined)]);
  log(`servers up: store ${store.server.endpoint}${cameras ? `, ${mounts} cameras on port ${cameras.server.port} (shared source)` : ''}`);
  const sampler = new Sampler();
  sampler.start(5000);
  const ctx: Ctx = { store, cameras: cameras as Ctx['cameras'], sampler, outDir, profileDir, log };
  const step = async (name: Bench, fn: () => Promise<void>): Promise<void> => {
    if (!only.has(name)) return;
    try {
      await fn();
    } catch (err) {
      exitCode = 1;
      log(`${name} failed: ${(err as Error).stack ?? String(err)}`);
      results.errors.push({ bench: name, error: (err as Error).message });
    }
    save();
  };
  await step('cost', async () => {
    results.cost = await runCost(ctx, mode.cost);
  });
  await step('capacity', async () => {
    sampler.clear();
    results.encoder = await measureEncoderCost(ctx, mode.name === 'quick' ? 10 : 30);
    log(
      `capacity: one x264 1080p15 camera pipeline costs ${results.encoder.perEncoderPct.toFixed(1)} % of a core; the shared-source server ${results.encoder.sharedServerPct?.toFixed(1)} %`,
    );
    results.capacity = await runCapacity(ctx, mode.capacity);
  });
  await step('adds', async () => {
    sampler.clear();
    results.adds = await runCameraAdds(ctx, mode.adds);
  });
  // the shared camera server encodes even without clients: stop it before the benchmarks that do not use it
  if (needCameras) await ctx.cameras.stop();
  await step('upload', async () => {
    results.upload = await runUpload(ctx, mode.upload);
  });
  await step('recovery', async () => {
    results.recovery = await runRecovery(ctx, mode.recovery);
  });
  await step('soak', async () => {
    results.soak = await runSoak(ctx, mode.soak, seed);
    if (!results.soak.pass) throw new Error(`soak failed: ${results.soak.reasons.join('; ')}`);
  });
  sampler.stop();
} catch (err) {
  exitCode = 1;
  log(`benchmark failed: ${(err as Error).stack ?? String(err)}`);
  results.errors.push({ bench: 'setup', error: (err as Error).message });
} finally {
  await cleanupAll();
  results.finishedAt = new Date().toISOString();
  results.wallMinutes = (Date.now() - t0) / 60_000;
  save();
  process.stdout.write(`${renderReport(results)}\n\nresults: ${join(outDir, 'results.json')}\n`);
  log(`done in ${results.wallMinutes.toFixed(1)} min`);
}
process.exit(exitCode);

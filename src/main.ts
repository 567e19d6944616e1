#!/usr/bin/env node
// Entry point. Before any dependency loads, two things are settled: the Node.js version (on an
// older Node a dependency fails while loading, with a TypeError that names nothing useful) and
// the stop signals (caught from here on; see stop-signals.ts). Then the command line runs (cli/run.ts).
import { StopSignals } from './stop-signals.ts';

const NODE_MAJOR = 24;

if (Number(process.versions.node.split('.')[0]) < NODE_MAJOR) {
  process.stderr.write(
    `camera-recorder needs Node.js ≥ ${NODE_MAJOR}; this is v${process.versions.node} (${process.execPath}). Run it with Node.js ${NODE_MAJOR} or later, or use the container image.\n`,
  );
  process.exit(1);
}
const signals = new StopSignals();
const { run } = await import('./cli/run.ts');
run(signals);

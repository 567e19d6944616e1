// Summarizes V8 CPU profiles (node --cpu-prof) of the recorder: self time by package/file and the top
// functions, optionally only for samples between --from and --to seconds after the profile starts
// (to leave out start-up and shutdown).
//
//   node bench/profile-summary.ts [--from S] [--to S] [--top N] FILE.cpuprofile|DIR ...
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** seconds of wall time covered by the selected samples */
  wallSec: number;
  /** CPU seconds (non-idle samples) */
  busySec: number;
  byCategory: { category: string; sec: number; share: number }[];
  topFunctions: { fn: string; sec: number; share: number }[];
}

/** Where a frame's code lives: a package, a file of the service, a Node.js internal, or V8 itself. */
export function category(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(garbage collector)') return '(garbage collector)';
    if (functionName === '(program)') return '(program: V8/native, not JS)';
    return `(native) ${functionName}`;
  }
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] as string;
  if (url.startsWith('node:'))
    return url
      .replace(/^node:internal\/(deps\/)?/, 'node:')
      .split('/')
      .slice(0, 2)
      .join('/');
  const src = /\/(dist|src)\/(.*)$/.exec(url);
  if (src) return `service ${src[2]}`;
  return url;
}

export function summarize(file: string, opts: { fromSec?: number; toSec?: number; top?: number } = {}): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = prof.startTime;
  const from = prof.startTime + (opts.fromSec ?? 0) * 1e6;
  const to = opts.toSec === undefined ? Infinity : prof.startTime + opts.toSec * 1e6;
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i] ?? 0;
    t += dt;
    if (t < from || t > to) continue;
    first = Math.min(first, t);
    last = Math.max(last, t);
    // a sample's weight is the time until the next sample
    const w = prof.timeDeltas[i + 1] ?? dt;
    const id = prof.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + w);
  }
  const cats = new Map<string, number>();
  const fns = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const c = category(url, functionName);
    if (c !== '(idle)') busy += us;
    cats.set(c, (cats.get(c) ?? 0) + us);
    const fn =
      `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|src)\//, '$1/')}:${lineNumber + 1}` : ''}`.trim();
    if (c !== '(idle)') fns.set(fn, (fns.get(fn) ?? 0) + us);
  }
  const top = opts.top ?? 25;
  return {
    file,
    wallSec: Number.isFinite(first) ? (last - first) / 1e6 : 0,
    busySec: busy / 1e6,
    byCategory: [...cats]
      .filter(([c]) => c !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .map(([category, us]) => ({ category, sec: us / 1e6, share: us / busy })),
    topFunctions: [...fns]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ fn, sec: us / 1e6, share: us / busy })),
  };
}

export function printSummary(s: ProfileSummary): string {
  const lines = [
    `${s.file}: ${s.busySec.toFixed(2)} s CPU in ${s.wallSec.toFixed(1)} s (${((s.busySec / Math.max(s.wallSec, 1e-9)) * 100).toFixed(2)}% of one core)`,
    '',
    'self time by package / file:',
  ];
  for (const c of s.byCategory.slice(0, 20)) lines.push(`  ${(c.share * 100).toFixed(1).padStart(5)}%  ${c.sec.toFixed(3).padStart(8)} s  ${c.category}`);
  lines.push('', 'top functions (self time):');
  for (const f of s.topFunctions) lines.push(`  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.sec.toFixed(3).padStart(8)} s  ${f.fn}`);
  return lines.join('\n');
}

function profilesIn(path: string): string[] {
  if (statSync(path).isDirectory())
    return readdirSync(path)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(path, f));
  return [path];
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { from: { type: 'string' }, to: { type: 'string' }, top: { type: 'string' } } });
  for (const p of positionals.flatMap(profilesIn)) {
    const opts: { fromSec?: number; toSec?: number; top?: number } = {};
    if (values.from) opts.fromSec = Number(values.from);
    if (values.to) opts.toSec = Number(values.to);
    if (values.top) opts.top = Number(values.top);
    process.stdout.write(`${printSummary(summarize(p, opts))}\n\n`);
  }
}

// Periodic snapshots of every process below the bench process, grouped by role (recorder, its ffmpeg
// children, the camera server, the store, ...), plus the machine's CPU counters. A window between two
// snapshots gives each group's CPU (seconds and % of one core) and memory (PSS; median and max).
//
// CPU of a process that exits inside a window is counted through its parent's "reaped children"
// counters (cutime+cstime), under the group "<parent group>+reaped": for the recorder these are
// the short-lived ffprobe runs (one per camera start, one per segment).
import { cmdline, descendants, listProcs, machineCpu, memory, type Memory, type ProcStat } from './proc.ts';
import { median } from './stats.ts';

export type Classifier = (p: ProcStat, cmd: string, parent: { group: string } | undefined) => string;

export interface ProcSample {
  stat: ProcStat;
  group: string;
  mem?: Memory;
}

export interface Snapshot {
  t: number;
  machine: { busy: number; total: number };
  procs: Map<string, ProcSample>;
}

export interface GroupWindow {
  /** CPU seconds in the window. */
  cpuSec: number;
  /** Average share of one core (100 = one full core). */
  cpuPct: number;
  /** Processes of the group alive at the end of the window. */
  count: number;
  /** Sum of the group's PSS per snapshot: median and max over the snapshots of the window (bytes). */
  pssMedian?: number;
  pssMax?: number;
  /** Largest single-process PSS seen (bytes). */
  pssMaxOne?: number;
}

export interface WindowStats {
  seconds: number;
  groups: Record<string, GroupWindow>;
  /** Whole machine: busy share of all cores, in % of one core (200 = both cores of a 2-core machine). */
  machineBusyPct: number;
  /** Busy CPU not accounted to any process of this benchmark (other users of the machine), % of one core. */
  outsidePct: number;
  /** Per-interval CPU % of one core, per group (for medians over intervals). */
  intervals: Record<string, number[]>;
}

const key = (p: ProcStat): string => `${p.pid}:${p.starttime}`;

/**
 * Default roles of the processes a benchmark starts. ffmpeg processes are split by audio plan:
 * `recorder-ffmpeg:copy` (AAC camera) and `recorder-ffmpeg:transcode` (G.711 camera), likewise
 * `baseline-ffmpeg:*`; `groupSum(w, 'recorder-ffmpeg')` adds them up.
 */
export const classify: Classifier = (p, cmd, parent) => {
  if (p.pid === process.pid) return 'bench';
  if (p.comm === 'ffmpeg') {
    const owner = parent?.group === 'recorder' ? 'recorder-ffmpeg' : parent?.group === 'baseline-shell' ? 'baseline-ffmpeg' : 'other-ffmpeg';
    const plan = cmd.includes('-c:a aac') ? 'transcode' : cmd.includes('-c:a copy') ? 'copy' : 'none';
    return `${owner}:${plan}`;
  }
  if (p.comm === 'ffprobe') return parent?.group === 'recorder' ? 'recorder-ffprobe' : 'bench-ffprobe';
  if (cmd.includes('dist/main.js')) return 'recorder';
  if (cmd.includes('rtsp-camera.py')) return 'camera-server';
  if (/^(radosgw|ceph-osd|ceph-mon)/.test(p.comm) || cmd.includes('ceph-rgw.sh')) return 'store';
  if (parent?.group === 'store') return 'store';
  if (cmd.startsWith('sh -c') || p.comm === 'sh') return 'baseline-shell';
  return parent ? `${parent.group}-child` : 'unknown';
};

export class Sampler {
  readonly snapshots: Snapshot[] = [];
  #timer: NodeJS.Timeout | undefined;
  #cmd = new Map<string, string>();
  #memGroups: readonly string[];
  #classify: Classifier;
  #root: number;

  /** memGroups: group names (or prefixes) whose processes get a PSS reading at every snapshot. */
  constructor(opts: { memGroups?: string[]; classify?: Classifier; root?: number } = {}) {
    this.#memGroups = opts.memGroups ?? ['recorder', 'recorder-ffmpeg', 'baseline-ffmpeg', 'camera-server', 'store'];
    this.#classify = opts.classify ?? classify;
    this.#root = opts.root ?? process.pid;
  }

  /** Takes a snapshot now (also used to mark window edges). */
  snap(): Snapshot {
    const all = listProcs();
    const mine = [all.find((p) => p.pid === this.#root), ...descendants(this.#root, all)].filter((p): p is ProcStat => p !== undefined);
    const procs = new Map<string, ProcSample>();
    const byPid = new Map<number, ProcSample>();
    // parents before children: descendants() is breadth-agnostic, so resolve groups recursively
    const statByPid = new Map(mine.map((p) => [p.pid, p]));
    const resolve = (p: ProcStat): ProcSample => {
      const done = byPid.get(p.pid);
      if (done) return done;
      const parentStat = statByPid.get(p.ppid);
      const parent = parentStat && p.pid !== this.#root ? resolve(parentStat) : undefined;
      const k = key(p);
      let cmd = this.#cmd.get(k);
      if (cmd === undefined) {
        cmd = cmdline(p.pid);
        this.#cmd.set(k, cmd);
      }
      const s: ProcSample = { stat: p, group: this.#classify(p, cmd, parent) };
      byPid.set(p.pid, s);
      return s;
    };
    for (const p of mine) {
      const s = resolve(p);
      if (this.#memGroups.some((g) => s.group === g || s.group.startsWith(`${g}:`))) {
        const m = memory(p.pid);
        if (m) s.mem = m;
      }
      procs.set(key(p), s);
    }
    const snap = { t: Date.now(), machine: machineCpu(), procs };
    this.snapshots.push(snap);
    return snap;
  }

  start(intervalMs: number): void {
    this.stop();
    this.snap();
    this.#timer = setInterval(() => this.snap(), intervalMs);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Forgets snapshots (between runs), keeping memory of the sampler small. */
  clear(): void {
    this.snapshots.length = 0;
  }

  /** Statistics between two snapshots (inclusive of every snapshot taken in between for memory). */
  window(a: Snapshot, b: Snapshot): WindowStats {
    const seconds = (b.t - a.t) / 1000;
    const inside = this.snapshots.filter((s) => s.t >= a.t && s.t <= b.t);
    const groups: Record<string, GroupWindow> = {};
    const cpu = delta(a, b);
    for (const [g, sec] of cpu) groups[g] = { cpuSec: sec, cpuPct: (sec / seconds) * 100, count: 0 };
    for (const s of b.procs.values()) {
      groups[s.group] ??= { cpuSec: 0, cpuPct: 0, count: 0 };
      const g = groups[s.group]!;
      g.count++;
    }
    for (const [name, g] of Object.entries(groups)) {
      const sums: number[] = [];
      let maxOne = 0;
      for (const snap of inside) {
        let sum = 0;
        let any = false;
        for (const s of snap.procs.values()) {
          if (s.group !== name || !s.mem) continue;
          any = true;
          sum += s.mem.pss;
          maxOne = Math.max(maxOne, s.mem.pss);
        }
        if (any) sums.push(sum);
      }
      if (sums.length > 0) {
        g.pssMedian = median(sums);
        g.pssMax = Math.max(...sums);
        g.pssMaxOne = maxOne;
      }
    }
    const intervals: Record<string, number[]> = {};
    for (let i = 1; i < inside.length; i++) {
      const x = inside[i - 1] as Snapshot;
      const y = inside[i] as Snapshot;
      const dt = (y.t - x.t) / 1000;
      if (dt <= 0) continue;
      for (const [g, sec] of delta(x, y)) {
        intervals[g] ??= [];
        intervals[g].push((sec / dt) * 100);
      }
    }
    const machineBusy = b.machine.busy - a.machine.busy;
    let mineSec = 0;
    for (const v of cpu.values()) mineSec += v;
    return {
      seconds,
      groups,
      machineBusyPct: (machineBusy / seconds) * 100,
      outsidePct: (Math.max(0, machineBusy - mineSec) / seconds) * 100,
      intervals,
    };
  }
}

/** CPU seconds per group between two snapshots. */
function delta(a: Snapshot, b: Snapshot): Map<string, number> {
  const out = new Map<string, number>();
  const add = (g: string, v: number): void => void out.set(g, (out.get(g) ?? 0) + Math.max(0, v));
  for (const [k, s] of b.procs) {
    const before = a.procs.get(k);
    add(s.group, s.stat.cpu - (before?.stat.cpu ?? 0));
    add(`${s.group}+reaped`, s.stat.childCpu - (before?.stat.childCpu ?? 0));
  }
  for (const [g, v] of out) if (v === 0 && g.endsWith('+reaped')) out.delete(g);
  return out;
}

/** Sum of every group named `prefix` or `prefix:*` (CPU seconds, %, process count; PSS medians and maxima added). */
export function groupSum(w: WindowStats, prefix: string): GroupWindow {
  const out: GroupWindow = { cpuSec: 0, cpuPct: 0, count: 0 };
  for (const [name, g] of Object.entries(w.groups)) {
    if (name !== prefix && !name.startsWith(`${prefix}:`)) continue;
    out.cpuSec += g.cpuSec;
    out.cpuPct += g.cpuPct;
    out.count += g.count;
    if (g.pssMedian !== undefined) out.pssMedian = (out.pssMedian ?? 0) + g.pssMedian;
    if (g.pssMax !== undefined) out.pssMax = (out.pssMax ?? 0) + g.pssMax;
    if (g.pssMaxOne !== undefined) out.pssMaxOne = Math.max(out.pssMaxOne ?? 0, g.pssMaxOne);
  }
  return out;
}

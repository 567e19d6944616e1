// Reading processes from /proc: CPU times, process trees, PSS/RSS, and the machine's CPU counters.
// Everything is in seconds (CPU) and bytes (memory).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** CPU seconds of the process itself (user + system). */
  cpu: number;
  /** CPU seconds of its waited-for (reaped) children, user + system. */
  childCpu: number;
  /** Start time in clock ticks after boot: with pid, identifies a process across samples. */
  starttime: number;
}

/** A /proc file of a process, or undefined once the process is gone. */
function procFile(pid: number, name: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** A "Key:   N kB" line of a /proc file, in bytes. */
const kbField = (text: string, key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;

export function readStat(pid: number): ProcStat | undefined {
  const text = procFile(pid, 'stat');
  if (text === undefined) return undefined;
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' ');
  // fields after "(comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ... starttime(20)
  const n = (i: number): number => Number(f[i]);
  return {
    pid,
    ppid: n(1),
    comm,
    cpu: (n(11) + n(12)) / CLK_TCK,
    childCpu: (n(13) + n(14)) / CLK_TCK,
    starttime: n(19),
  };
}

export function listProcs(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** Every process below `root` (not `root` itself), from one listing. */
export function descendants(root: number, all: ProcStat[] = listProcs()): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  for (const p of all) {
    const list = byParent.get(p.ppid) ?? [];
    list.push(p);
    byParent.set(p.ppid, list);
  }
  const out: ProcStat[] = [];
  const stack = [root];
  while (stack.length > 0) {
    for (const child of byParent.get(stack.pop() as number) ?? []) {
      out.push(child);
      stack.push(child.pid);
    }
  }
  return out;
}

export function cmdline(pid: number): string {
  return (procFile(pid, 'cmdline') ?? '').split('\0').filter(Boolean).join(' ');
}

export interface Memory {
  /** Proportional set size: shared pages divided among the processes mapping them. */
  pss: number;
  rss: number;
}

/** PSS and RSS from /proc/PID/smaps_rollup (one kernel walk, no per-mapping output). */
export function memory(pid: number): Memory | undefined {
  const text = procFile(pid, 'smaps_rollup');
  return text === undefined ? undefined : { pss: kbField(text, 'Pss'), rss: kbField(text, 'Rss') };
}

/** Peak RSS (VmHWM) and current RSS from /proc/PID/status. */
export function rssPeak(pid: number): { hwm: number; rss: number } | undefined {
  const text = procFile(pid, 'status');
  return text === undefined ? undefined : { hwm: kbField(text, 'VmHWM'), rss: kbField(text, 'VmRSS') };
}

/** Machine-wide CPU seconds (all cores) from /proc/stat: busy (everything but idle and iowait) and total. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / CLK_TCK, total: (busy + idle + iowait) / CLK_TCK };
}

/** SIGKILL a process and everything below it (children first collected, so orphans are not missed). */
export function killTree(pid: number, signal: NodeJS.Signals = 'SIGKILL'): number {
  const victims = [...descendants(pid).map((p) => p.pid), pid];
  let n = 0;
  for (const v of victims) {
    try {
      process.kill(v, signal);
      n++;
    } catch {
      // already gone
    }
  }
  return n;
}

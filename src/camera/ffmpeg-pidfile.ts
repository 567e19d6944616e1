// If the recorder is SIGKILLed alone (not its whole container or cgroup), its ffmpeg children live
// on and keep writing into temp_dir. Each run records ffmpeg's pid next to its segments; the next
// start stops such an orphan (SIGINT, so it finalizes its segment) before it touches the folder.
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';

export const PID_FILE = '.ffmpeg.pid';

export async function writePidFile(dir: string, pid: number): Promise<void> {
  await writeFile(join(dir, PID_FILE), `${pid}\n`);
}

export async function removePidFile(dir: string): Promise<void> {
  await rm(join(dir, PID_FILE), { force: true });
}

/** Stops the ffmpeg a previous run of ours left writing into `dir`, if any. Returns its pid when one was found. */
export async function stopOrphan(dir: string, deps: { clock: Clock; log: Logger; timeoutMs: number }): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await readFile(join(dir, PID_FILE), 'utf8')).trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !(await isOurFfmpeg(pid, dir))) {
    await removePidFile(dir);
    return undefined;
  }
  deps.log.warn({ pid, dir }, 'ffmpeg of an earlier run still recording; stopping it');
  signal(pid, 'SIGINT');
  const deadline = deps.clock.now() + deps.timeoutMs;
  while (alive(pid) && deps.clock.now() < deadline) await deps.clock.sleep(100);
  if (alive(pid)) signal(pid, 'SIGKILL');
  while (alive(pid)) await deps.clock.sleep(50);
  await removePidFile(dir);
  return pid;
}

/** The pid is ours only if it is still an ffmpeg writing into this folder (pids get reused). */
async function isOurFfmpeg(pid: number, dir: string): Promise<boolean> {
  try {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return cmdline.some((arg) => arg.startsWith(`${dir}/`));
  } catch {
    return false;
  }
}

/** Running, and not a zombie: kill(pid, 0) succeeds on a zombie, which nobody may ever reap. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false; // gone between the two looks
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

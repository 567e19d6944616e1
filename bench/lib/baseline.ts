// The baseline: the same ffmpeg command lines the recorder runs (src/camera/ffmpeg-args.ts, audio
// plan from src/camera/audio-plan.ts), started by a plain shell — no Node.js, no uploads.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { planAudio } from '../../src/camera/audio-plan.ts';
import { ffmpegArgs } from '../../src/camera/ffmpeg-args.ts';
import { LIST_DIR, listPathOf } from '../../src/camera/recorder.ts';
import { onCleanup } from './cleanup.ts';
import { descendants, killTree } from './proc.ts';
import { sleep } from './stats.ts';

export interface BaselineCamera {
  id: string;
  url: string;
  /** What the camera sends, as ffprobe names it: 'aac' or 'pcm_alaw'. */
  audioCodec: string;
}

export interface Baseline {
  shell: ChildProcess;
  pid: number;
  dirs: string[];
  waitRecording(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The shell script: one backgrounded ffmpeg per camera with the recorder's exact arguments, then wait. */
export function baselineScript(cameras: BaselineCamera[], rootDir: string, segmentSeconds: number, rtspTimeoutMs: number): string {
  const lines = ['exec </dev/null'];
  for (const cam of cameras) {
    const outDir = join(rootDir, cam.id);
    const args = ffmpegArgs({
      url: cam.url,
      audio: planAudio(cam.audioCodec).plan,
      segmentSeconds,
      rtspTimeoutMs,
      outDir,
      listPath: listPathOf(outDir),
    });
    // -progress pipe:1 is part of the arguments; the recorder reads it, here it goes to /dev/null
    lines.push(`ffmpeg ${args.map(quote).join(' ')} >/dev/null 2>>${quote(join(outDir, 'ffmpeg.log'))} &`);
  }
  lines.push('wait');
  return lines.join('\n');
}

export function startBaseline(cameras: BaselineCamera[], rootDir: string, segmentSeconds: number, rtspTimeoutMs = 10_000): Baseline {
  const dirs = cameras.map((c) => join(rootDir, c.id));
  for (const d of dirs) mkdirSync(join(d, LIST_DIR), { recursive: true });
  const shell = spawn('sh', ['-c', baselineScript(cameras, rootDir, segmentSeconds, rtspTimeoutMs)], {
    env: { TZ: 'UTC', PATH: process.env.PATH ?? '/usr/bin:/bin' }, // as the recorder runs ffmpeg
    stdio: 'ignore',
  });
  const pid = shell.pid;
  if (pid === undefined) throw new Error('cannot start sh');
  const exited = new Promise<void>((resolve) => shell.once('exit', () => resolve()));
  const alive = (): boolean => shell.exitCode === null && shell.signalCode === null;
  const kill = onCleanup(`baseline ${pid}`, () => {
    if (alive()) killTree(pid);
  });
  return {
    shell,
    pid,
    dirs,
    async waitRecording(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const writing = dirs.filter((d) => readdirSync(d).some((f) => f.endsWith('.mp4') && statSync(join(d, f)).size > 0)).length;
        if (writing === dirs.length) return;
        if (!alive()) throw new Error('baseline shell exited');
        if (Date.now() > deadline) throw new Error(`baseline: only ${writing}/${dirs.length} ffmpeg writing after ${timeoutMs} ms`);
        await sleep(200);
      }
    },
    async stop() {
      // SIGINT each ffmpeg (it finalizes its segment, as the recorder's stop does), then the shell's wait returns
      for (const p of descendants(pid)) if (p.comm === 'ffmpeg') process.kill(p.pid, 'SIGINT');
      const timer = setTimeout(() => {
        if (alive()) killTree(pid);
      }, 15_000);
      await exited;
      clearTimeout(timer);
      await kill();
    },
  };
}

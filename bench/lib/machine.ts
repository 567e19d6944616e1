// What the numbers were measured on.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';

function firstLine(cmd: string, args: string[]): string {
  try {
    return (
      execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
        .split('\n')[0]
        ?.trim() ?? ''
    );
  } catch {
    return 'unknown';
  }
}

export interface Machine {
  date: string;
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  ffmpeg: string;
  gstreamer: string;
  ceph: string;
  loadavgAtStart: string;
}

export function machineInfo(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: firstLine('uname', ['-r']),
    node: process.version,
    ffmpeg: firstLine('ffmpeg', ['-hide_banner', '-version']).replace(/ Copyright.*/, ''),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format placeholder
    gstreamer: firstLine('dpkg-query', ['-W', '-f', '${Version}', 'gir1.2-gst-rtsp-server-1.0']),
    ceph: firstLine('ceph', ['--version']).replace(/\s*\(.*$/, ''),
    loadavgAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}

// What every benchmark gets: the servers, the sampler, a progress log, where to write.
import type { Cameras, Store } from './servers.ts';
import type { Sampler } from './sampler.ts';

export interface Ctx {
  store: Store;
  /** Shared-source camera server with enough mounts for every benchmark (camera i = /cam{i}). */
  cameras: Cameras;
  sampler: Sampler;
  outDir: string;
  /** When set, recorder runs write V8 CPU profiles here. */
  profileDir: string | undefined;
  log(msg: string): void;
}

export function progressLog(): (msg: string) => void {
  const t0 = Date.now();
  return (msg) => {
    const s = ((Date.now() - t0) / 1000).toFixed(0).padStart(5);
    process.stderr.write(`[bench ${s}s] ${msg}\n`);
  };
}

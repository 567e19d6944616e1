// Everything a benchmark starts registers its teardown here; it runs on normal completion, on an
// error, and on SIGINT/SIGTERM, newest first, so no ffmpeg, camera server or Ceph daemon is left.
import { descendants, killTree } from './proc.ts';

type Teardown = { name: string; fn: () => Promise<void> | void };
const stack: Teardown[] = [];
let running: Promise<void> | undefined;

/** Registers a teardown; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(name: string, fn: () => Promise<void> | void): () => Promise<void> {
  const entry: Teardown = { name, fn };
  stack.push(entry);
  let done: Promise<void> | undefined;
  return () => {
    done ??= (async () => {
      const i = stack.indexOf(entry);
      if (i >= 0) stack.splice(i, 1);
      await fn();
    })();
    return done;
  };
}

export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (stack.length > 0) {
      const t = stack.pop() as Teardown;
      try {
        await t.fn();
      } catch (err) {
        process.stderr.write(`cleanup ${t.name} failed: ${String(err)}\n`);
      }
    }
    // Last resort: anything still below this process (a reparented ffmpeg would not be, see killTree users).
    for (const p of descendants(process.pid)) killTree(p.pid);
  })().finally(() => {
    running = undefined;
  });
  return running;
}

let installed = false;
export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: cleaning up\n`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}

// The store away for a while: the gateway stopped (connections refused) or SIGSTOPped (connections
// accepted, nothing answered — the harder case for timeouts).
import { cmdline, listProcs } from './proc.ts';
import type { Store } from './servers.ts';
import { sleep } from './stats.ts';

export interface StorePauseRecord {
  how: 'refuse' | 'hang';
  startAt: number;
  endAt: number;
}

/** The radosgw of this store (the only one whose command line names its state directory). */
function gatewayPid(store: Store): number {
  const p = listProcs().find((x) => x.comm === 'radosgw' && cmdline(x.pid).includes(store.server.dir));
  if (!p) throw new Error(`no radosgw found for the store in ${store.server.dir}`);
  return p.pid;
}

export async function pauseStore(store: Store, how: 'refuse' | 'hang', ms: number): Promise<StorePauseRecord> {
  const startAt = Date.now();
  if (how === 'refuse') {
    await store.server.stopGateway();
    try {
      await sleep(ms);
    } finally {
      await store.server.startGateway();
    }
  } else {
    const pid = gatewayPid(store);
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(ms);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  }
  return { how, startAt, endAt: Date.now() };
}

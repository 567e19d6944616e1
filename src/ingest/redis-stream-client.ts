// The few Redis commands a stream consumer needs, on one connection of its own (a blocking
// XREADGROUP holds its connection until it returns, so it is never shared). Replies are read raw:
// node-redis' stream reply parser throws on a pending entry whose fields are gone (nil), which
// is exactly the entry a consumer must still acknowledge.
import { createClient, RESP_TYPES } from 'redis';

export interface StreamEntry {
  id: string;
  /** null: the entry is pending for this consumer but was deleted from the stream. */
  fields: Map<string, Buffer> | null;
}

export interface StreamTarget {
  stream: string;
  group: string;
  consumer: string;
}

export type StreamClient = ReturnType<typeof connectClient>;

/**
 * A client that does not reconnect by itself: the source owns the retry loop, so that an outage is
 * one place (logged once, `connected` false, backoff) and every reconnection re-reads the pending list.
 * RESP2, so Redis before 6 (no HELLO) works too; bulk strings as Buffers, since a JPEG is binary.
 */
export function connectClient(url: string, connectTimeoutMs: number) {
  const client = createClient({ url, RESP: 2, socket: { reconnectStrategy: false, connectTimeout: connectTimeoutMs } }).withTypeMapping({
    [RESP_TYPES.BLOB_STRING]: Buffer,
  });
  // Failures surface as rejected commands, which the source logs; without a listener an 'error'
  // event would crash the process.
  client.on('error', () => {});
  return client;
}

/** Creates the group when missing; a new group starts at the beginning of the stream (see DESIGN.md). */
export async function ensureGroup(client: StreamClient, t: StreamTarget): Promise<void> {
  try {
    await client.sendCommand(['XGROUP', 'CREATE', t.stream, t.group, '0', 'MKSTREAM']);
  } catch (err) {
    if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
  }
}

/**
 * XREADGROUP for this consumer. `after` = '>' reads entries never delivered to the group, blocking
 * up to blockMs; an id reads this consumer's own pending entries after that id (no blocking).
 */
export async function readEntries(client: StreamClient, t: StreamTarget, after: string, count: number, blockMs: number): Promise<StreamEntry[]> {
  const block = after === '>' ? ['BLOCK', String(blockMs)] : [];
  const reply = await client.sendCommand(['XREADGROUP', 'GROUP', t.group, t.consumer, 'COUNT', String(count), ...block, 'STREAMS', t.stream, after]);
  if (reply === null) return [];
  const streams = reply as unknown as [Buffer, [Buffer, Buffer[] | null][]][];
  return (streams[0]?.[1] ?? []).map(([id, flat]) => ({ id: id.toString(), fields: flat === null ? null : pairs(flat) }));
}

/** What the group has yet to do: entries not yet read (`lag`, null where Redis cannot tell, before 7), and read but not acknowledged. */
export async function groupBacklog(client: StreamClient, t: StreamTarget): Promise<{ lag: number | null; pending: number } | undefined> {
  let groups: (Buffer | number | null)[][];
  try {
    groups = (await client.sendCommand(['XINFO', 'GROUPS', t.stream])) as unknown as (Buffer | number | null)[][];
  } catch {
    return undefined; // only for the log: a user without XINFO (NOPERM) still reads its frames
  }
  for (const flat of groups) {
    const info = new Map<string, Buffer | number | null>();
    for (let i = 0; i + 1 < flat.length; i += 2) info.set(String(flat[i]), flat[i + 1] ?? null);
    if (String(info.get('name')) !== t.group) continue;
    const lag = info.get('lag');
    return { lag: typeof lag === 'number' ? lag : null, pending: Number(info.get('pending') ?? 0) };
  }
  return undefined;
}

export async function ack(client: StreamClient, t: StreamTarget, id: string): Promise<void> {
  await client.sendCommand(['XACK', t.stream, t.group, id]);
}

function pairs(flat: Buffer[]): Map<string, Buffer> {
  const fields = new Map<string, Buffer>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set((flat[i] as Buffer).toString(), flat[i + 1] as Buffer);
  return fields;
}

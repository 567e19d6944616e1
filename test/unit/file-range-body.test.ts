// A file range as a request body, sent the way the SDK sends it (piped into a real HTTP request
// to a server on loopback that waits before it reads, so more than the kernel's socket buffers
// hold is queued in the request while the body's buffers are reused), and read the ordinary way:
// the bytes that arrive are the range's, whatever the range.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { FileRangeBody } from '../../src/storage/file-range-body.ts';

const MiB = 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), 'file-range-body-'));
const data = randomBytes(24 * MiB + 123);
const path = join(dir, 'segment.mp4');
writeFileSync(path, data);

/** Reads a request body after a while, so the sender's writes wait on the socket. */
async function slowly(req: IncomingMessage): Promise<Buffer> {
  const got: Buffer[] = [];
  await sleep(300);
  for await (const chunk of req) {
    got.push(chunk as Buffer);
    await sleep(1);
  }
  return Buffer.concat(got);
}

describe('file range body', () => {
  const received: Buffer[] = [];
  const server = createServer({ highWaterMark: 64 * 1024 }, (req, res) => {
    slowly(req).then(
      (body) => {
        received.push(body);
        res.end('ok');
      },
      (err: unknown) => res.destroy(err as Error),
    );
  });
  let port = 0;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  /** Sends the body as the SDK's Node handler does: `body.pipe(request)`. */
  function send(body: FileRangeBody, length: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', headers: { 'content-length': length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(received.pop() as Buffer));
      });
      req.on('error', reject);
      body.pipe(req);
    });
  }

  for (const [what, start, length] of [
    ['the whole file (many reads, the last one short)', 0, data.length],
    ['a range starting inside a read', 1_000_001, 20 * MiB + 7],
    ['a range shorter than one read', 5 * MiB - 10, 133],
  ] as const) {
    test(`piped into an HTTP request: ${what} arrives byte for byte`, async () => {
      const got = await send(new FileRangeBody(path, start, length), length);
      assert.equal(got.length, length);
      assert.ok(got.equals(data.subarray(start, start + length)), 'the server received the bytes of the range');
    });
  }

  test('read as an ordinary stream, it yields the bytes of the range', async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of new FileRangeBody(path, 2 * MiB + 5, 2 * MiB)) chunks.push(chunk as Buffer);
    assert.ok(Buffer.concat(chunks).equals(data.subarray(2 * MiB + 5, 4 * MiB + 5)));
  });

  test('a body destroyed (its upload aborted) opens the file no more: piping it fails the request', async () => {
    const body = new FileRangeBody(path, 0, MiB);
    body.destroy();
    await assert.rejects(send(body, MiB), (err: Error) => err.message.includes('was destroyed'));
  });

  test('a file shorter than the range fails the request with a reason that names the file', async () => {
    const length = data.length + 10;
    await assert.rejects(
      send(new FileRangeBody(path, 0, length), length),
      (err: Error) => err.message.includes(path) && err.message.includes('10 bytes before'),
    );
  });
});

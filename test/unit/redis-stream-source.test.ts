// RedisStreamSource against a real redis-server: frames in stream order, acknowledged once taken,
// what was not taken read again by the next source of the same consumer, broken and trimmed entries
// acknowledged and logged, stop() ending a blocking read, a configured camera's group and consumer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import type { CameraConfig } from '../../src/config/schema.ts';
import { FrameRefusedError } from '../../src/ingest/frame-refused.ts';
import { redisStreamSourceOf } from '../../src/ingest/redis-stream-source.ts';
import { CREDS, file } from '../support/config-files.ts';
import { lineLogger } from '../support/line-logger.ts';
import { MemoryFrameSink } from '../support/memory-frame-sink.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { type Admin, adminOf, frameEntry, GROUP, JPEG, pending, source, T0 } from '../support/redis-stream-fixtures.ts';
import { until } from '../support/until.ts';

describe('redis stream source', () => {
  let server: RedisServer;
  let admin: Admin;
  before(async () => {
    server = await startRedisServer();
    admin = await adminOf(server);
  });
  after(async () => {
    admin.destroy();
    await server.close();
  });

  test('entries reach the sink in stream order with their capture time, and each is acknowledged', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await admin.xAdd('order', '*', frameEntry(i)));
    ids.push(await admin.xAdd('order', '*', { jpeg: JPEG })); // no meta: the time Redis added it
    const sink = new MemoryFrameSink();
    const { log, lines } = lineLogger();
    const src = source(server.url, 'order', sink, log);
    src.start();
    try {
      await until('six frames', () => sink.frames.length === 6);
      assert.deepEqual(
        sink.frames.map((f) => f.capturedAtMs),
        [0, 1, 2, 3, 4].map((i) => T0 + i * 500).concat(Number((ids[5] as string).split('-')[0])),
      );
      assert.ok(sink.frames.every((f) => f.jpeg.equals(JPEG)));
      await until('every entry acknowledged', async () => (await pending(admin, 'order')) === 0);
      assert.equal(src.connected, true);
      assert.deepEqual(src.counts(), { frames: 6, rejected: 0, lost: 0 });
      const connected = JSON.parse(lines.find((l) => l.includes('redis stream connected')) ?? '{}') as Record<string, unknown>;
      assert.deepEqual([connected.unread, connected.pending], [6, 0], 'the line says how far behind the group was');
    } finally {
      await src.stop();
    }
  });

  test('what a stopped source had not taken is read again by the next source of that consumer, and nothing it took is', async () => {
    for (let i = 0; i < 5; i++) await admin.xAdd('restart', '*', frameEntry(i));
    const first = new MemoryFrameSink();
    const src1 = source(server.url, 'restart', first, lineLogger().log);
    // The third frame arrives while the camera stops: it is refused, and the source stops with
    // frames 3-5 read (one read of up to 32) but not taken.
    first.refuse = (_frame, taken) => {
      if (taken < 2) return undefined;
      void src1.stop();
      return new FrameRefusedError('camera stopping', 'stopping');
    };
    src1.start();
    await until('two frames taken', () => first.frames.length === 2);
    await src1.stop();
    assert.equal(await pending(admin, 'restart'), 3);

    const second = new MemoryFrameSink();
    const { log, lines } = lineLogger();
    const src2 = source(server.url, 'restart', second, log);
    src2.start();
    try {
      await until('three frames', () => second.frames.length === 3);
      assert.match(lines.find((l) => l.includes('redis stream connected')) ?? '', /"unread":0,"pending":3/);
      await until('every entry acknowledged', async () => (await pending(admin, 'restart')) === 0);
      await admin.xAdd('restart', '*', frameEntry(5));
      await until('the new frame', () => second.frames.length === 4);
      assert.deepEqual(
        [...first.frames, ...second.frames].map((f) => f.capturedAtMs),
        [0, 1, 2, 3, 4, 5].map((i) => T0 + i * 500),
      );
    } finally {
      await src2.stop();
    }
  });

  test('entries that are not frames are acknowledged, counted and logged with their id and what is wrong', async () => {
    const noJpeg = await admin.xAdd('broken', '*', { meta: '{}', picture: JPEG });
    const notJpeg = await admin.xAdd('broken', '*', { jpeg: Buffer.from('<html>not a picture</html>') });
    const badMeta = await admin.xAdd('broken', '*', { meta: '{"ts": 17', jpeg: JPEG });
    const refused = await admin.xAdd('broken', '*', frameEntry(1));
    await admin.xAdd('broken', '*', frameEntry(2));
    const sink = new MemoryFrameSink();
    sink.refuse = (frame) => (frame.capturedAtMs === T0 + 500 ? new FrameRefusedError('4:2:2 JPEGs are not recorded', 'picture') : undefined);
    const { log, lines } = lineLogger();
    const src = source(server.url, 'broken', sink, log);
    src.start();
    try {
      await until('the good frame', () => sink.frames.length === 1);
      await until('every entry acknowledged', async () => (await pending(admin, 'broken')) === 0);
      assert.deepEqual(src.counts(), { frames: 1, rejected: 4, lost: 0 });
      const warned = lines.map((l) => JSON.parse(l) as { level: string; entry?: string; problem?: string; detail?: string }).filter((l) => l.entry);
      assert.deepEqual(
        warned.map((l) => [l.level, l.entry, l.problem]),
        [
          ['warn', noJpeg, 'no-jpeg'],
          ['warn', notJpeg, 'not-jpeg'],
          ['warn', badMeta, 'bad-meta'],
          ['warn', refused, 'refused'],
        ],
      );
      assert.match(warned[0]?.detail ?? '', /no "jpeg" field \(fields: meta, picture\)/);
      assert.match(warned[2]?.detail ?? '', /"meta" is not JSON/);
      assert.match(warned[3]?.detail ?? '', /4:2:2 JPEGs are not recorded/);
    } finally {
      await src.stop();
    }
  });

  test('a frame the sink keeps failing on without saying why is tried five times, then acknowledged and rejected; the frames after it go on', async () => {
    for (let i = 0; i < 3; i++) await admin.xAdd('failing', '*', frameEntry(i));
    const sink = new MemoryFrameSink();
    let tries = 0;
    sink.refuse = (frame) => {
      if (frame.capturedAtMs !== T0 + 500) return undefined;
      tries++;
      return new Error('encoder crashed');
    };
    const { log, lines } = lineLogger();
    const src = source(server.url, 'failing', sink, log);
    src.start();
    try {
      await until('the frames around it', () => sink.frames.length === 2);
      await until('every entry acknowledged', async () => (await pending(admin, 'failing')) === 0);
      assert.equal(tries, 5);
      assert.deepEqual(src.counts(), { frames: 2, rejected: 1, lost: 0 });
      assert.equal(lines.filter((l) => l.includes('frame not taken by the recording')).length, 4);
      assert.match(lines.find((l) => l.includes('"problem":"refused"')) ?? '', /encoder crashed \(the sink failed on it 5 times\)/);
    } finally {
      await src.stop();
    }
  });

  test('an entry deleted from the stream after it was read but before it was taken is acknowledged and logged as lost footage', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await admin.xAdd('trimmed', '*', frameEntry(i)));
    const first = new MemoryFrameSink();
    const src1 = source(server.url, 'trimmed', first, lineLogger().log);
    first.refuse = () => {
      void src1.stop();
      return new FrameRefusedError('camera stopping', 'stopping');
    };
    src1.start();
    await until('the source stopped', () => src1.state === 'stopped');
    assert.equal(await pending(admin, 'trimmed'), 3);
    await admin.xTrim('trimmed', 'MAXLEN', 1); // the producer's cap took the first two
    const second = new MemoryFrameSink();
    const { log, lines } = lineLogger();
    const src2 = source(server.url, 'trimmed', second, log);
    src2.start();
    try {
      await until('the frame left', () => second.frames.length === 1);
      await until('every entry acknowledged', async () => (await pending(admin, 'trimmed')) === 0);
      assert.deepEqual(src2.counts(), { frames: 1, rejected: 0, lost: 2 });
      const lost = lines.map((l) => JSON.parse(l) as { level: string; entry?: string; unlogged_since_last_line?: number }).filter((l) => l.entry);
      assert.deepEqual(lost, [{ ...lost[0], level: 'error', entry: ids[0] }]); // the second within the minute is counted, not logged
    } finally {
      await src2.stop();
    }
  });

  test('stop() ends a blocking read at once: no connection of the source stays blocked', { timeout: 60_000 }, async () => {
    const sink = new MemoryFrameSink();
    const src = source(server.url, 'idle', sink, lineLogger().log, { blockMs: 3_600_000 });
    src.start();
    const blocked = async (): Promise<number> =>
      ((await admin.sendCommand(['CLIENT', 'LIST'])) as string).split('\n').filter((l) => l.includes('cmd=xreadgroup')).length;
    await until('a blocking read', async () => (await blocked()) === 1);
    await src.stop(); // with the read left to run, this would wait for an hour
    assert.equal(src.state, 'stopped');
    await until('no blocked connection', async () => (await blocked()) === 0);
  });

  test('a configured redis_stream camera reads its stream in group "camera-recorder" as consumer <camera id>', async () => {
    await admin.xAdd('frames:till-3', '*', frameEntry(0));
    const path = file(`[[cameras]]\nid = "till-3"\nsource_type = "redis_stream"\nurl = "${server.url}/0"\nstream = "frames:till-3"\n`);
    const [camera] = loadConfig(path, CREDS).cameras;
    const sink = new MemoryFrameSink();
    const src = redisStreamSourceOf(camera as CameraConfig, sink, lineLogger().log);
    src.start();
    try {
      await until('the frame', () => sink.frames.length === 1);
      const consumers = await admin.xInfoConsumers('frames:till-3', GROUP);
      assert.deepEqual(
        consumers.map((c) => c.name),
        ['till-3'],
      );
    } finally {
      await src.stop();
    }
  });
});

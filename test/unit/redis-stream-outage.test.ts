// RedisStreamSource when Redis goes away: it shows disconnected, reconnects and goes on without
// repeating or losing a frame (with Redis' data kept, and without it), and the URL's password
// appears in no log line meanwhile. A real redis-server per test, stopped and started on its port.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { lineLogger } from '../support/line-logger.ts';
import { MemoryFrameSink } from '../support/memory-frame-sink.ts';
import { startRedisServer } from '../support/redis-server.ts';
import { adminOf, frameEntry, HeldSleeps, pending, source, T0 } from '../support/redis-stream-fixtures.ts';
import { until } from '../support/until.ts';

describe('redis stream source and a Redis that goes away', () => {
  test('Redis stopped and started again: the source shows disconnected, reconnects and goes on without repeating a frame', async () => {
    const server = await startRedisServer({ persist: true });
    const admin = await adminOf(server);
    const sink = new MemoryFrameSink();
    const { log, lines } = lineLogger();
    const src = source(server.url, 'outage', sink, log);
    try {
      src.start();
      for (let i = 0; i < 2; i++) await admin.xAdd('outage', '*', frameEntry(i));
      await until('two frames', () => sink.frames.length === 2);
      await server.stop();
      await until('disconnected', () => !src.connected);
      await server.start();
      const again = await adminOf(server);
      try {
        for (let i = 2; i < 4; i++) await again.xAdd('outage', '*', frameEntry(i));
        await until('four frames', () => sink.frames.length === 4);
        assert.equal(src.connected, true);
        assert.deepEqual(
          sink.frames.map((f) => f.capturedAtMs),
          [0, 1, 2, 3].map((i) => T0 + i * 500),
        );
        await until('every entry acknowledged', async () => (await pending(again, 'outage')) === 0);
      } finally {
        again.destroy();
      }
      const messages = lines.map((l) => JSON.parse(l) as { level: string; msg: string });
      assert.equal(messages.filter((m) => m.level === 'warn').length, 1, lines.join(''));
      assert.ok(
        messages.some((m) => m.level === 'info' && m.msg === 'redis stream connected again'),
        lines.join(''),
      );
    } finally {
      await src.stop();
      await server.close();
    }
  });

  test('Redis restarted without its data: the group is created again from the start of the stream, so frames added before the source is back are not lost', async () => {
    const server = await startRedisServer();
    const clock = new HeldSleeps();
    const sink = new MemoryFrameSink();
    const src = source(server.url, 'wiped', sink, lineLogger().log, { clock });
    try {
      const admin = await adminOf(server);
      await admin.xAdd('wiped', '*', frameEntry(0));
      src.start();
      await until('the first frame', () => sink.frames.length === 1);
      await server.stop();
      await until('the source waiting to try again', () => clock.sleeping > 0);
      await server.start(); // empty: no stream, no group
      const again = await adminOf(server);
      try {
        for (let i = 1; i < 3; i++) await again.xAdd('wiped', '*', frameEntry(i));
        clock.release();
        await until('three frames', () => sink.frames.length === 3);
        assert.deepEqual(
          sink.frames.map((f) => f.capturedAtMs),
          [0, 1, 2].map((i) => T0 + i * 500),
        );
      } finally {
        again.destroy();
      }
    } finally {
      await src.stop();
      await server.close();
    }
  });

  test("the URL's password appears in no log line, whether Redis answers, goes away or refuses it", async () => {
    const password = 'Str3am-pa55-word';
    const server = await startRedisServer({ user: { name: 'recorder', password } });
    // The service's logger masks URL passwords as a last line of defence; this one does not, so the
    // test sees what the source itself writes.
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, new Writable({ write: (chunk, _e, done) => done(void lines.push(String(chunk))) }));
    const sink = new MemoryFrameSink();
    const good = source(server.userUrl(), 'secret', sink, log);
    const wrong = source(server.userUrl().replace(password, `${password}-old`), 'secret', sink, log, { consumer: 'cam-2' });
    try {
      good.start();
      wrong.start();
      await until('connected', () => good.connected);
      await server.stop();
      await until('disconnected', () => !good.connected);
      await server.start();
      await until('connected again', () => good.connected);
      await until('the wrong password refused twice', () => lines.filter((l) => l.includes('WRONGPASS')).length >= 2);
    } finally {
      await good.stop();
      await wrong.stop();
      await server.close();
    }
    const all = lines.join('');
    assert.ok(all.includes('redis://recorder:***@127.0.0.1'), all); // the URL is logged, masked
    assert.ok(!all.includes('Str3am'), all);
  });
});

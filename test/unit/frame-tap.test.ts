// FrameTap cuts a byte stream into frames and never holds the stream back: a busy consumer gets
// the newest frame when it is done, and the frames in between are counted as dropped.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { FrameTap, type TapFrame } from '../../src/frames/frame-tap.ts';

const W = 4;
const H = 2;
const frame = (value: number): Buffer => Buffer.alloc(W * H, value);
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('frames are cut at width×height bytes whatever the chunking, and stamped when complete', async () => {
  const pipe = new PassThrough();
  const got: TapFrame[] = [];
  let now = 1000;
  const tap = new FrameTap(pipe, { width: W, height: H, onFrame: (f) => void got.push(f), onError: (err) => assert.fail(String(err)), now: () => now });
  const bytes = Buffer.concat([frame(1), frame(2), frame(3)]);
  pipe.write(bytes.subarray(0, 3)); // part of frame 1
  await tick();
  assert.equal(tap.received, 0);
  now = 2000;
  pipe.write(bytes.subarray(3, 13)); // the rest of 1, part of 2
  await tick();
  now = 3000;
  pipe.write(bytes.subarray(13)); // the rest of 2, all of 3
  await tick();
  await tick();
  assert.deepEqual(
    got.map((f) => [f.data[0], f.data.length, f.atMs, f.width, f.height]),
    [
      [1, 8, 2000, W, H],
      [2, 8, 3000, W, H],
      [3, 8, 3000, W, H],
    ],
  );
  assert.equal(tap.dropped, 0);
});

test('a busy consumer never pauses the pipe: it gets the newest frame next and the ones in between are dropped', async () => {
  const pipe = new PassThrough();
  const got: number[] = [];
  let release: () => void = () => undefined;
  const tap = new FrameTap(pipe, {
    width: W,
    height: H,
    onError: (err) => assert.fail(String(err)),
    onFrame: async (f) => {
      got.push(f.data[0] ?? -1);
      if (got.length === 1) await new Promise<void>((resolve) => (release = resolve));
    },
  });
  for (let v = 1; v <= 50; v++) {
    pipe.write(frame(v));
    await tick();
    assert.equal(pipe.isPaused(), false);
    assert.equal(pipe.readableFlowing, true);
    assert.equal(pipe.readableLength, 0, 'nothing waits in the pipe for the consumer');
  }
  assert.deepEqual(got, [1]);
  assert.equal(tap.dropped, 48); // 2..49 replaced one another; 50 waits
  release();
  await tick();
  assert.deepEqual(got, [1, 50]);
  pipe.write(frame(51));
  await tick();
  assert.deepEqual(got, [1, 50, 51]);
  assert.deepEqual([tap.received, tap.delivered, tap.dropped], [51, 3, 48]);
});

test("a consumer's failure is reported and the next frame is offered all the same", async () => {
  const pipe = new PassThrough();
  const errors: unknown[] = [];
  const got: number[] = [];
  new FrameTap(pipe, {
    width: W,
    height: H,
    onError: (err) => errors.push(err),
    onFrame: (f) => {
      got.push(f.data[0] ?? -1);
      if (got.length === 1) throw new Error('detector failed');
    },
  });
  pipe.write(Buffer.concat([frame(1), frame(2)]));
  await tick();
  await tick();
  assert.deepEqual(got, [1, 2]);
  assert.deepEqual(
    errors.map((e) => (e as Error).message),
    ['detector failed'],
  );
});

test('a frame size that is not a positive integer is refused with the size in the message', () => {
  assert.throws(() => new FrameTap(new PassThrough(), { width: 0, height: 180, onFrame: () => undefined, onError: () => undefined }), /0×180/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecordingGaps } from '../../src/camera/recording-gaps.ts';
import type { Clock } from '../../src/clock.ts';
import { createMetrics } from '../../src/metrics.ts';

function setup() {
  let now = 1_000_000;
  const clock: Clock = { now: () => now, sleep: async () => undefined };
  const metrics = createMetrics();
  metrics.initCamera('cam');
  const gaps = new RecordingGaps({ metrics, cameraId: 'cam', clock });
  const seconds = async (): Promise<Record<string, number>> =>
    Object.fromEntries((await metrics.recordingGap.get()).values.filter((v) => v.labels.camera_id === 'cam').map((v) => [v.labels.reason, v.value]));
  return { gaps, seconds, advance: (ms: number) => (now += ms), at: () => now };
}

test('every second without frames is counted once, under the reason it had at the time, up to the moment of the scrape', async () => {
  const { gaps, seconds, advance, at } = setup();
  gaps.start();
  gaps.open('starting');
  advance(3000);
  gaps.close(); // first frame
  advance(10_000);
  const lastFrame = at();
  advance(5000);
  gaps.open('stalled', lastFrame); // noticed 5 s after the last frame: counted from the last frame
  advance(3000);
  assert.deepEqual(await seconds(), { starting: 3, camera_unreachable: 0, stalled: 8, disk_full: 0, restart: 0 }, 'an open gap counts up to the scrape');
  gaps.because('camera_unreachable');
  advance(4000);
  gaps.open('restart'); // an open gap only takes the new reason
  advance(1000);
  gaps.close();
  advance(60_000); // recording: nothing counted
  assert.deepEqual(await seconds(), { starting: 3, camera_unreachable: 4, stalled: 8, disk_full: 0, restart: 1 });
  assert.equal(gaps.sinceMs, undefined);
  gaps.open('disk_full');
  advance(2000);
  gaps.stop(); // the service stops: counted up to now, then no more
  advance(10_000);
  assert.deepEqual(await seconds(), { starting: 3, camera_unreachable: 4, stalled: 8, disk_full: 2, restart: 1 });
});

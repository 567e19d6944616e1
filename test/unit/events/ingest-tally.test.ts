import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EmitEvent } from '../../../src/events/event-bus.ts';
import type { EventData } from '../../../src/events/event-types.ts';
import { IngestTally } from '../../../src/events/ingest-tally.ts';

test('frame.ingested comes at most once per interval, counting every picture since the last one; a tally left when pictures stop is told at the next tick', () => {
  const told: { at: number | undefined; data: EventData['frame.ingested'] }[] = [];
  const emit: EmitEvent = (type, _camera, data, at) => {
    if (type === 'frame.ingested') told.push({ at, data: data as EventData['frame.ingested'] });
  };
  const tally = new IngestTally({ emit, cameraId: 'till-3', sourceType: 'http_push', intervalMs: 10_000 });
  const t0 = Date.UTC(2026, 11, 1, 12, 0, 0);
  for (let i = 0; i < 25; i++) tally.taken(t0 + i * 500, t0 + i * 500 - 100); // 2 pictures a second for 12.5 s
  assert.equal(told.length, 2, 'the first picture, then one 10 s later');
  assert.deepEqual(
    told.map((t) => t.data.frames),
    [1, 20],
  );
  tally.tick(t0 + 12_000);
  assert.equal(told.length, 2, 'not yet due');
  tally.tick(t0 + 20_000);
  assert.equal(told.length, 3);
  assert.equal(told[2]!.data.frames, 4, 'the pictures after the last event');
  assert.equal(told[2]!.data.last_frame_time, new Date(t0 + 24 * 500 - 100).toISOString());
  tally.tick(t0 + 40_000);
  assert.equal(told.length, 3, 'nothing to tell without pictures');
});

// The soak benchmark's footage accounting and fault schedule (bench/lib): a wrong answer here would
// pass footage loss as explained, or fail a soak that lost nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { account, type CameraFacts, type Tolerances } from '../../bench/lib/accounting.ts';
import { planFaults, type FaultPlan } from '../../bench/lib/faults.ts';
import { overlap, subtract, total, union } from '../../bench/lib/intervals.ts';

const tol: Tolerances = { jitterMs: 500, recorderKillBeforeMs: 2500, afterConnectMs: 2500, cameraKillBeforeMs: 1000, reconnectCapMs: 6000, endMs: 1000 };
const s = (a: number, b: number): { start: number; end: number } => ({ start: a * 1000, end: b * 1000 });
const facts = (over: Partial<CameraFacts>): CameraFacts => ({
  camera: 'camera-1',
  window: s(0, 100),
  cameraDown: [],
  recorderKills: [],
  segments: [s(0, 100)],
  lost: [],
  ...over,
});

test('intervals: union merges, subtract cuts, overlap counts time covered twice', () => {
  assert.deepEqual(union([s(5, 10), s(0, 6), s(20, 30)]), [s(0, 10), s(20, 30)]);
  assert.deepEqual(subtract([s(0, 100)], [s(10, 20), s(50, 150)]), [s(0, 10), s(20, 50)]);
  assert.equal(total([s(0, 10), s(5, 15)]), 15_000);
  assert.equal(overlap([s(0, 10), s(5, 15)]), 5_000);
});

test('footage stored end to end leaves nothing to explain', () => {
  const a = account(facts({}), tol);
  assert.equal(a.expectedSec, 100);
  assert.equal(a.coveredSec, 100);
  assert.equal(a.unaccountedSec, 0);
});

test('a camera outage is not expected footage; its reconnect is explained up to the allowance, the rest is unaccounted', () => {
  // down 30–40 s, first frame 3 s after it is back: explained
  const quick = account(facts({ cameraDown: [{ killAt: 30_000, backAt: 40_000 }], segments: [s(0, 29.6), s(43, 100)] }), tol);
  assert.equal(quick.expectedSec, 90);
  assert.deepEqual(quick.reconnectSec, [3]);
  assert.equal(quick.unaccountedSec, 0);
  assert.ok(Math.abs(quick.explainedSec.cameraReconnect - 3.4) < 1e-9);
  // first frame 10 s after it is back: 4 s beyond the 6 s allowance
  const slow = account(facts({ cameraDown: [{ killAt: 30_000, backAt: 40_000 }], segments: [s(0, 30), s(50, 100)] }), tol);
  assert.deepEqual(slow.unaccounted, [s(46, 50)]);
});

test("a recorder kill is explained from the fragment before it to the camera's next connection", () => {
  const a = account(facts({ recorderKills: [{ killAt: 60_000, connectedAt: 75_000 }], segments: [s(0, 58), s(76, 100)] }), tol);
  assert.equal(a.unaccountedSec, 0);
  assert.equal(a.explainedSec.recorderRestart, 18);
  assert.deepEqual(a.lostBeforeKillSec, [2]);
  assert.deepEqual(a.restartGapSec, [16]);
  // footage lost well before the kill is not the kill's
  const early = account(facts({ recorderKills: [{ killAt: 60_000, connectedAt: 75_000 }], segments: [s(0, 50), s(76, 100)] }), tol);
  assert.deepEqual(early.unaccounted, [s(50, 57.5)]);
});

test('dropped segments and short bound gaps are explained; a lone gap is not', () => {
  const a = account(facts({ segments: [s(0, 10), s(20, 50), s(50.3, 80), s(85, 100)], lost: [{ ...s(10, 20), why: 'dropped', file: 'x.mp4' }] }), tol);
  assert.equal(a.explainedSec.dropped, 10);
  assert.ok(Math.abs(a.explainedSec.jitter - 0.3) < 1e-9);
  assert.deepEqual(a.unaccounted, [s(80, 85)]);
});

const plan: FaultPlan = {
  durationSec: 420,
  cameras: 8,
  recorderKills: 2,
  killShare: 0.35,
  cameraKills: 8,
  cameraDownSec: [3, 25],
  storePauses: 2,
  storePauseSec: [10, 40],
  quietTailSec: 40,
};

test('the fault schedule replays from its seed and stays inside its bounds', () => {
  assert.deepEqual(planFaults(plan, 7), planFaults(plan, 7));
  assert.notDeepEqual(planFaults(plan, 7), planFaults(plan, 8));
  for (const seed of [1, 2, 3, 42, 12345]) {
    const faults = planFaults(plan, seed);
    const kills = faults.filter((f) => f.kind === 'recorder-kill');
    assert.equal(kills.length, plan.recorderKills);
    assert.ok(
      kills.every((k) => k.atSec + k.restartAfterSec <= plan.durationSec * plan.killShare),
      `seed ${seed}: a recorder kill late in the run`,
    );
    assert.equal(faults.filter((f) => f.kind === 'store-pause').length, plan.storePauses);
    const cams = faults.filter((f) => f.kind === 'camera-kill');
    assert.ok(cams.length <= plan.cameraKills);
    for (const f of faults)
      if (f.kind !== 'recorder-kill') assert.ok(f.atSec + f.downSec <= plan.durationSec - plan.quietTailSec, `seed ${seed}: ${f.kind} in the quiet tail`);
    for (const a of cams)
      for (const b of cams)
        if (a !== b && a.camera === b.camera)
          assert.ok(a.atSec + a.downSec <= b.atSec || b.atSec + b.downSec <= a.atSec, `seed ${seed}: overlapping outages of camera-${a.camera}`);
    const pauses = faults.filter((f) => f.kind === 'store-pause');
    for (let i = 1; i < pauses.length; i++) assert.ok((pauses[i - 1]?.atSec ?? 0) + (pauses[i - 1]?.downSec ?? 0) <= (pauses[i]?.atSec ?? 0));
  }
});

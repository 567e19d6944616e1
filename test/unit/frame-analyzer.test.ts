// How the analyzer treats the stream around the frames: gaps, size changes, torn frames, debounce by time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ANALYZER_OPTIONS } from '../../src/frames/analysis-options.ts';
import { FrameAnalyzer } from '../../src/frames/analyzer.ts';
import type { GrayFrame } from '../../src/frames/frame.ts';
import { analyzeRun, healthFlips, T0 } from '../support/frame-runs.ts';
import { asKeyFrames, KEY_FRAME_MS, lavfiFrames } from '../support/lavfi-frames.ts';

const SCENE = 'testsrc2=size=320x180:rate=0.5';
const LIVE = 'noise=alls=4:allf=t';

describe('frame analyzer', () => {
  it('does not call a picture frozen across a gap in the stream: it compares only frames at most 6 s apart', () => {
    const held = lavfiFrames(SCENE, 5, LIVE)[4]!;
    const analyzer = new FrameAnalyzer(DEFAULT_ANALYZER_OPTIONS, T0);
    // the same picture, but 10 s apart: the stream was away, the camera did not freeze
    const verdicts = Array.from({ length: 8 }, (_, i) => analyzer.analyze({ width: 320, height: 180, data: held, capturedAt: T0 + i * 10_000 }));
    assert.deepEqual(
      verdicts.map((a) => a.verdicts.frozen),
      Array(8).fill(undefined),
    );
    assert.equal(analyzer.health.frozen.status, 'ok');
  });

  it('compares nothing across a change of frame size, and keeps going at the new size', () => {
    const small = asKeyFrames(lavfiFrames(SCENE, 3, LIVE), T0);
    const large = asKeyFrames(lavfiFrames(SCENE, 3, LIVE, 640, 360), T0 + 3 * KEY_FRAME_MS, 640, 360);
    const analyzer = new FrameAnalyzer(DEFAULT_ANALYZER_OPTIONS, T0);
    const changes = [...small, ...large].map((f) => analyzer.analyze(f).features.change);
    assert.deepEqual(
      changes.map((c) => c !== undefined),
      [false, true, true, false, true, true],
    );
  });

  it('learns the new view after relearnScene(): a deliberate turn is ok from then on', () => {
    const turned = `crop=iw*0.7:ih*0.7:iw*0.3:ih*0.3,${LIVE}`;
    const frames = asKeyFrames([...lavfiFrames(SCENE, 40, LIVE), ...lavfiFrames(SCENE, 80, turned)], T0);
    const analyzer = new FrameAnalyzer(DEFAULT_ANALYZER_OPTIONS, T0);
    const flips: string[] = [];
    frames.forEach((frame, i) => {
      if (i === 50) analyzer.relearnScene(frame.capturedAt);
      for (const p of analyzer.analyze(frame).changed) flips.push(`${i}:${p}:${analyzer.health[p].status}`);
    });
    // moved after the turn; after relearning, the turned view is the reference and nothing flips again
    assert.deepEqual(flips, ['44:moved:problem']);
    assert.deepEqual(analyzer.health.moved, { status: 'ok', since: frames[50]!.capturedAt });
  });

  it('refuses a torn frame whose buffer does not match its size, saying both', () => {
    const analyzer = new FrameAnalyzer(DEFAULT_ANALYZER_OPTIONS, T0);
    const torn: GrayFrame = { width: 320, height: 180, data: lavfiFrames(SCENE, 1)[0]!.subarray(0, 1000), capturedAt: T0 };
    assert.throws(() => analyzer.analyze(torn), /1000 bytes for 320x180; expected 57600/);
  });

  it('waits for onSeconds as well as onFrames before turning a problem on', () => {
    const black = lavfiFrames('color=black:size=320x180:rate=0.5', 8);
    const options = {
      ...DEFAULT_ANALYZER_OPTIONS,
      health: {
        ...DEFAULT_ANALYZER_OPTIONS.health,
        debounce: { ...DEFAULT_ANALYZER_OPTIONS.health.debounce, black: { onFrames: 2, onSeconds: 10, offFrames: 1, offSeconds: 0 } },
      },
    };
    // black from frame 2: the run spans 10 s at its sixth frame (2 + 5)
    assert.deepEqual(healthFlips(analyzeRun([...lavfiFrames(SCENE, 2, LIVE), ...black], options)), ['7:black:problem']);
  });

  it('refuses debounce options that could never turn a problem on or off', () => {
    const bad = {
      ...DEFAULT_ANALYZER_OPTIONS,
      health: {
        ...DEFAULT_ANALYZER_OPTIONS.health,
        debounce: { ...DEFAULT_ANALYZER_OPTIONS.health.debounce, moved: { onFrames: 0, onSeconds: 0, offFrames: 1, offSeconds: 0 } },
      },
    };
    assert.throws(() => new FrameAnalyzer(bad, T0), /moved debounce: onFrames = 0: expected a whole number of frames, at least 1/);
  });
});

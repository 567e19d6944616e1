// Motion by frame differencing on real frames rendered by ffmpeg: a box moving over a still scene.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MOTION_OPTIONS } from '../../src/frames/analysis-options.ts';
import type { GrayFrame } from '../../src/frames/frame.ts';
import type { NormalizedRect } from '../../src/frames/mask.ts';
import { MotionDetector, type MotionPeriod } from '../../src/frames/motion.ts';
import { T0 } from '../support/frame-runs.ts';
import { asKeyFrames, KEY_FRAME_MS, lavfiFrames } from '../support/lavfi-frames.ts';

const LIVE = 'noise=alls=4:allf=t';
/** SMPTE bars with a white 40×40 box at x (an expression of the time t), y = 70 */
const boxAt = (x: string): string => `smptebars=size=320x180:rate=0.5[bg];color=white:size=40x40:rate=0.5[box];[bg][box]overlay=x='${x}':y=70`;

/** 6 still frames, the box moving right 20 px per key frame for 7 frames (x 100 → 240), then 6 still frames */
function boxRun(width = 320, height = 180): GrayFrame[] {
  const pictures = [
    ...lavfiFrames(boxAt('100'), 6, LIVE, width, height),
    // the first of these is still at x = 100: the box starts moving after it
    ...lavfiFrames(boxAt('100+t*10'), 8, LIVE, width, height).slice(1),
    ...lavfiFrames(boxAt('240'), 6, LIVE, width, height),
  ];
  return asKeyFrames(pictures, T0, width, height);
}

function detect(frames: readonly GrayFrame[], mask: readonly NormalizedRect[] = []): { active: number[]; periods: MotionPeriod[] } {
  const motion = new MotionDetector({ ...DEFAULT_MOTION_OPTIONS, mask }, T0);
  const active = frames.flatMap((frame, i) => (motion.update(frame, frames[i - 1]).active ? [i] : []));
  return { active, periods: motion.takeFinished().periods };
}

const at = (i: number): number => T0 + i * KEY_FRAME_MS;
const near = (a: number, b: number): boolean => Math.abs(a - b) < 0.04;

describe('motion', () => {
  it('is on while the box moves, off two still frames later, and keeps the period with its area and box', () => {
    const { active, periods } = detect(boxRun());
    // frames 6..12 moved; 13 and 14 are still, and the second still one ends it
    assert.deepEqual(active, [6, 7, 8, 9, 10, 11, 12, 13]);
    assert.equal(periods.length, 1);
    const [p] = periods;
    assert.equal(p!.start, at(6));
    assert.equal(p!.end, at(13));
    // a 40×40 box moving 20 px changes 2 × 20 × 40 px of 320×180
    assert.ok(near(p!.maxArea, 1600 / 57600), `maxArea ${p!.maxArea}`);
    // the box travelled from x = 100 to 280 (of 320) at y = 70..110 (of 180)
    const b = p!.box!;
    assert.ok(near(b.x, 100 / 320) && near(b.x + b.w, 280 / 320) && near(b.y, 70 / 180) && near(b.y + b.h, 110 / 180), JSON.stringify(b));
  });

  it('stays off on a still scene with sensor noise', () => {
    assert.deepEqual(detect(asKeyFrames(lavfiFrames(boxAt('100'), 30, LIVE), T0)).active, []);
  });

  it('stays off when the whole picture brightens at once (lights, exposure)', () => {
    const still = lavfiFrames(boxAt('100'), 4, LIVE);
    const bright = lavfiFrames(boxAt('100'), 4, `eq=brightness=0.35,${LIVE}`);
    assert.deepEqual(detect(asKeyFrames([...still, ...bright, ...still], T0)).active, []);
  });

  it('ignores motion inside the mask', () => {
    assert.deepEqual(detect(boxRun(), [{ x: 0, y: 0.3, w: 1, h: 0.4 }]).active, []);
  });

  it('counts motion outside the mask, with the box cut to the unmasked part', () => {
    const { active, periods } = detect(boxRun(), [{ x: 0, y: 0, w: 0.5, h: 1 }]);
    // the box reaches the right half (x ≥ 160) on its way from 100 to 240
    assert.ok(active.length > 0);
    assert.ok(periods[0]!.box!.x >= 0.5, JSON.stringify(periods[0]!.box));
  });

  it('applies a mask in picture shares, so it fits another analysis size', () => {
    const mask = [{ x: 0, y: 0, w: 0.5, h: 1 }];
    const small = detect(boxRun(), mask);
    const large = detect(boxRun(640, 360), mask);
    assert.deepEqual(large.active, small.active);
    assert.deepEqual(large.periods[0]!.box, small.periods[0]!.box);
  });

  it('refuses a mask rectangle outside the picture, naming it', () => {
    assert.throws(
      () =>
        new MotionDetector(
          {
            ...DEFAULT_MOTION_OPTIONS,
            mask: [
              { x: 0, y: 0, w: 1, h: 1 },
              { x: 0.5, y: 0, w: 0.6, h: 1 },
            ],
          },
          T0,
        ),
      /mask\[1\].*reaches past the picture/,
    );
    assert.throws(
      () => new MotionDetector({ ...DEFAULT_MOTION_OPTIONS, mask: [{ x: 0, y: -0.1, w: 1, h: 1 }] }, T0),
      /mask\[0\]\.y = -0\.1: expected a number from 0 to 1/,
    );
  });
});

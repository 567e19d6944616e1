// Which frames the real analyzer's results offer to the snapshot archive, on frames rendered by ffmpeg:
// the one a problem turned on with, and the first of a motion period; nothing while either lasts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_ANALYZER_OPTIONS } from '../../src/frames/analysis-options.ts';
import { FrameAnalyzer } from '../../src/frames/analyzer.ts';
import type { GrayFrame } from '../../src/frames/frame.ts';
import { snapshotReasons } from '../../src/frames/snapshot-reasons.ts';
import { T0 } from '../support/frame-runs.ts';
import { asKeyFrames, lavfiFrames } from '../support/lavfi-frames.ts';

const LIVE = 'noise=alls=4:allf=t';
/** SMPTE bars with a white 40×40 box at x (an expression of the time t), y = 70 */
const boxAt = (x: string): string => `smptebars=size=320x180:rate=0.5[bg];color=white:size=40x40:rate=0.5[box];[bg][box]overlay=x='${x}':y=70`;

/** Each frame's reasons, as `index:reason`. */
function reasonsOf(frames: readonly GrayFrame[]): string[] {
  const analyzer = new FrameAnalyzer(DEFAULT_ANALYZER_OPTIONS, T0);
  let wasActive = false;
  return frames.flatMap((frame, i) => {
    const analysis = analyzer.analyze(frame);
    const reasons = snapshotReasons(analysis, wasActive);
    wasActive = analysis.motion.active;
    return reasons.map((r) => `${i}:${r}`);
  });
}

test('a problem offers the frame it turned on with, once; the frames while it lasts and the one it ends with offer nothing', () => {
  const pictures = [...lavfiFrames(boxAt('100'), 6, LIVE), ...lavfiFrames('color=black:size=320x180:rate=0.5', 8, LIVE), ...lavfiFrames(boxAt('100'), 6, LIVE)];
  // black turns on with its third frame (index 8): three frames to debounce. (The switches to and
  // from black are a change in the picture that motion may see; that is motion's business.)
  const health = reasonsOf(asKeyFrames(pictures, T0)).filter((r) => !r.endsWith(':motion'));
  assert.deepEqual(health, ['8:black']);
});

test('a motion period offers its first moving frame, once', () => {
  const pictures = [...lavfiFrames(boxAt('100'), 6, LIVE), ...lavfiFrames(boxAt('100+t*10'), 8, LIVE).slice(1), ...lavfiFrames(boxAt('240'), 6, LIVE)];
  assert.deepEqual(reasonsOf(asKeyFrames(pictures, T0)), ['6:motion']);
});

// Picture-health detectors on real frames rendered by ffmpeg: each problem turns on after its debounce
// and off again when the picture returns, and a normal scene raises nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_ANALYZER_OPTIONS } from '../../src/frames/analysis-options.ts';
import { analyzeRun, healthFlips, T0 } from '../support/frame-runs.ts';
import { KEY_FRAME_MS, lavfiFrames } from '../support/lavfi-frames.ts';

const SCENE = 'testsrc2=size=320x180:rate=0.5';
/** a live sensor: the moving test scene with temporal noise */
const LIVE = 'noise=alls=4:allf=t';
/** enough good frames to learn the camera's detail (15) and view (30) */
const LEARN = 40;
const normal = (n: number): Uint8Array[] => lavfiFrames(SCENE, n, LIVE);
const { debounce } = DEFAULT_ANALYZER_OPTIONS.health;

/** LEARN normal frames, `bad` frames of a problem, then `after` normal frames */
function episode(bad: Uint8Array[], after = 6): Uint8Array[] {
  return [...normal(LEARN), ...bad, ...normal(after)];
}

describe('frame health', () => {
  it('raises nothing on a normal moving scene, a static one with sensor noise, or a slow dusk', () => {
    const moving = normal(150);
    // one picture, held still: only the sensor noise changes from key frame to key frame
    const still = lavfiFrames(SCENE, 60, `trim=end_frame=1,loop=loop=-1:size=1,${LIVE}`);
    // the light falls over ten minutes of key frames, to a third of the contrast
    const dusk = lavfiFrames(SCENE, 300, `eq=brightness='-0.3*t/600':contrast='1-0.65*t/600':eval=frame,${LIVE}`);
    assert.deepEqual(healthFlips(analyzeRun([...moving, ...still, ...dusk])), []);
  });

  it('black: a dark flat picture turns it on after 3 frames, 2 good frames turn it off', () => {
    const a = analyzeRun(episode(lavfiFrames('color=black:size=320x180:rate=0.5', 5)));
    const on = LEARN + debounce.black.onFrames - 1;
    assert.deepEqual(healthFlips(a), [`${on}:black:problem`, `${LEARN + 5 + debounce.black.offFrames - 1}:black:ok`]);
    // since: the first black frame, not the frame that confirmed it
    assert.equal(a[on]!.health.black.since, T0 + LEARN * KEY_FRAME_MS);
  });

  it('black: limited-range black with noise (a capped lens) is black too', () => {
    const a = analyzeRun(episode(lavfiFrames('color=0x101010:size=320x180:rate=0.5', 5, 'noise=alls=6:allf=t')));
    assert.deepEqual(healthFlips(a), [`${LEARN + 2}:black:problem`, `${LEARN + 6}:black:ok`]);
  });

  it('one black frame does not flap', () => {
    assert.deepEqual(healthFlips(analyzeRun(episode(lavfiFrames('color=black:size=320x180:rate=0.5', 1)))), []);
  });

  it('frozen: the same picture repeated turns it on after 4 repeats, the first new picture turns it off', () => {
    // a picture from later on, so the normal frames after it (which start at the scene's time 0) differ from it
    const held = lavfiFrames(SCENE, 5, LIVE)[4]!;
    const a = analyzeRun(episode(Array.from({ length: 8 }, () => held)));
    // the first held frame still differs from the one before; the next four are repeats
    assert.deepEqual(healthFlips(a), [`${LEARN + debounce.frozen.onFrames}:frozen:problem`, `${LEARN + 8}:frozen:ok`]);
  });

  it('frozen: a frozen picture with a ticking on-screen clock is still frozen', () => {
    const held = lavfiFrames(SCENE, 5, LIVE)[4]!;
    // the camera burns its clock into the picture: a 24×12 patch that changes every key frame (0.5 % of it)
    const ticking = Array.from({ length: 8 }, (_, n) => {
      const frame = held.slice();
      for (let y = 4; y < 16; y++) frame.fill(n % 2 === 0 ? 255 : 0, y * 320 + 290, y * 320 + 314);
      return frame;
    });
    assert.deepEqual(healthFlips(analyzeRun(episode(ticking))), [`${LEARN + 4}:frozen:problem`, `${LEARN + 8}:frozen:ok`]);
  });

  it('covered: a bright single colour turns it on after 3 frames and is not called black, frozen or blurred', () => {
    const a = analyzeRun(episode(lavfiFrames('color=gray:size=320x180:rate=0.5', 6, 'noise=alls=2:allf=t')));
    assert.deepEqual(healthFlips(a), [`${LEARN + 2}:covered:problem`, `${LEARN + 6 + 1}:covered:ok`]);
  });

  it('covered: a hand-like blurred bright blob over the lens is covered', () => {
    const hand = lavfiFrames(SCENE, 6, `gblur=sigma=60,eq=brightness=0.2:contrast=0.1,${LIVE}`);
    const a = analyzeRun(episode(hand));
    assert.deepEqual(healthFlips(a), [`${LEARN + 2}:covered:problem`, `${LEARN + 7}:covered:ok`]);
  });

  it('blurred: a defocused view of the same scene turns it on after 3 frames, sharp frames turn it off', () => {
    const a = analyzeRun(episode(lavfiFrames(SCENE, 6, `gblur=sigma=3,${LIVE}`)));
    assert.deepEqual(healthFlips(a), [`${LEARN + 2}:blurred:problem`, `${LEARN + 7}:blurred:ok`]);
  });

  it('moved: a turned view turns it on after 5 frames and off 3 frames after the view is back', () => {
    // a third of the view cut away at the top left and the rest blown up: the camera turned and zoomed
    const turned = lavfiFrames(SCENE, 8, `crop=iw*0.7:ih*0.7:iw*0.3:ih*0.3,${LIVE}`);
    const a = analyzeRun(episode(turned));
    assert.deepEqual(healthFlips(a), [`${LEARN + debounce.moved.onFrames - 1}:moved:problem`, `${LEARN + 8 + debounce.moved.offFrames - 1}:moved:ok`]);
    assert.ok(a[LEARN + 5]!.sceneDistance! > 0.5);
  });

  it('moved: the reference does not follow a lasting turn (two minutes of it)', () => {
    const turned = lavfiFrames(SCENE, 60, `crop=iw*0.7:ih*0.7:iw*0.3:ih*0.3,${LIVE}`);
    assert.deepEqual(healthFlips(analyzeRun(episode(turned))), [`${LEARN + 4}:moved:problem`, `${LEARN + 60 + 2}:moved:ok`]);
  });

  it('moved: a different scene (another camera on this stream) is moved', () => {
    const other = lavfiFrames('mandelbrot=size=320x180:rate=0.5', 8, LIVE);
    assert.deepEqual(healthFlips(analyzeRun(episode(other))), [`${LEARN + 4}:moved:problem`, `${LEARN + 10}:moved:ok`]);
  });

  it('moved: nothing is compared before the view is learned', () => {
    const a = analyzeRun(normal(DEFAULT_ANALYZER_OPTIONS.health.moved.learnFrames));
    assert.equal(a.at(-1)!.sceneDistance, undefined);
    assert.equal(a.at(-1)!.verdicts.moved, undefined);
  });
});

// A camera's vision on real frames rendered by ffmpeg: problems and motion become metrics, log lines
// and findings carrying the JPEG of the frame that showed them; unwatched problems stay 0.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/clock.ts';
import { CameraVision, type Finding } from '../../src/frames/camera-vision.ts';
import { DEFAULT_VISION, visionSettings } from '../../src/frames/vision-settings.ts';
import { createMetrics } from '../../src/metrics.ts';
import { lineLogger } from '../support/line-logger.ts';
import { KEY_FRAME_MS, lavfiFrames } from '../support/lavfi-frames.ts';

const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);
const SCENE = 'testsrc2=size=320x180:rate=0.5';
const LIVE = 'noise=alls=4:allf=t';
const STILL = `trim=end_frame=1,loop=loop=-1:size=1,${LIVE}`;

function setup(analysis?: Parameters<typeof visionSettings>[1]) {
  const metrics = createMetrics();
  const { log, lines } = lineLogger('debug');
  const findings: Finding[] = [];
  let now = T0;
  const clock = { now: () => now, sleep: systemClock.sleep };
  const vision = new CameraVision({
    cameraId: 'cam-1',
    settings: visionSettings(DEFAULT_VISION, analysis),
    metrics: metrics.vision,
    log,
    clock,
    onFinding: (f) => findings.push(f),
  });
  let i = 0;
  const feed = async (pictures: Uint8Array[], jpegs = true): Promise<void> => {
    for (const data of pictures) {
      now = T0 + i++ * KEY_FRAME_MS;
      // the JPEG of a key frame is read just before its gray frame, as often happens
      if (jpegs) vision.takeJpeg({ jpeg: Buffer.from(`jpeg ${now}`), atMs: now - 5 });
      await vision.consumer.onFrame({ data: Buffer.from(data), width: 320, height: 180, atMs: now });
    }
  };
  const metric = async (name: string, labels: string): Promise<number | undefined> => {
    const text = await metrics.registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };
  return { vision, findings, feed, metric, lines, at: (n: number) => T0 + n * KEY_FRAME_MS };
}

describe('camera vision', () => {
  it('a black picture sets camera_video_problem, logs it, and finds it with the JPEG of its frame; the picture back clears it', async () => {
    const t = setup();
    await t.feed(lavfiFrames(SCENE, 40, LIVE));
    assert.equal(await t.metric('camera_video_problem', 'camera_id="cam-1",problem="black"'), 0);
    await t.feed(lavfiFrames('color=black:size=320x180:rate=0.5', 4));
    assert.equal(await t.metric('camera_video_problem', 'camera_id="cam-1",problem="black"'), 1);
    const black = t.findings.filter((f) => f.reason === 'black');
    assert.equal(black.length, 1);
    // since the first black frame (40); the finding's JPEG is the one of the frame that confirmed it (42)
    assert.equal(black[0]!.capturedAtMs, t.at(40));
    assert.equal(black[0]!.jpeg?.jpeg.toString(), `jpeg ${t.at(42)}`);
    assert.equal(t.vision.view().problems.black.status, 'problem');
    assert.ok(t.lines.some((l) => l.includes('"problem":"black"') && l.includes('video problem: black')));
    await t.feed(lavfiFrames(SCENE, 3, LIVE));
    assert.equal(await t.metric('camera_video_problem', 'camera_id="cam-1",problem="black"'), 0);
    assert.equal(t.vision.view().problems.black.status, 'ok');
    assert.equal(await t.metric('camera_frames_analysed_total', 'camera_id="cam-1"'), 47);
  });

  it('a problem the camera does not watch stays 0 and off, and with motion off nothing is found', async () => {
    const t = setup({ checks: ['frozen'], motion: false });
    await t.feed(lavfiFrames(SCENE, 40, LIVE));
    await t.feed(lavfiFrames('color=black:size=320x180:rate=0.5', 5));
    assert.equal(await t.metric('camera_video_problem', 'camera_id="cam-1",problem="black"'), 0);
    assert.equal(t.vision.view().problems.black.status, 'off');
    assert.deepEqual(t.findings, []);
  });

  it('motion: a moving scene after a still one starts a period, counts an event and finds it; still again ends it', async () => {
    const t = setup();
    await t.feed(lavfiFrames(SCENE, 5, STILL));
    assert.equal(await t.metric('camera_motion_active', 'camera_id="cam-1"'), 0);
    await t.feed(lavfiFrames(SCENE, 4, LIVE));
    assert.equal(await t.metric('camera_motion_active', 'camera_id="cam-1"'), 1);
    assert.equal(await t.metric('camera_motion_events_total', 'camera_id="cam-1"'), 1);
    assert.equal(t.findings.filter((f) => f.reason === 'motion').length, 1);
    assert.equal(t.vision.view().motion.active, true);
    await t.feed(lavfiFrames(SCENE, 4, STILL));
    assert.equal(await t.metric('camera_motion_active', 'camera_id="cam-1"'), 0);
    assert.equal(t.vision.motionPeriods.finished.length, 1);
    assert.equal(await t.metric('camera_motion_events_total', 'camera_id="cam-1"'), 1);
  });

  it('a finding whose JPEG has not come yet waits for the next one, and gets none when the vision stops first', async () => {
    const t = setup();
    await t.feed(lavfiFrames(SCENE, 5, STILL), false);
    await t.feed(lavfiFrames(SCENE, 2, LIVE), false);
    assert.equal(t.findings.length, 0, 'waiting for the JPEG of its frame');
    const late = { jpeg: Buffer.from('late'), atMs: t.at(6) + 40 };
    t.vision.takeJpeg(late);
    assert.equal(t.findings.length, 1);
    assert.equal(t.findings[0]!.jpeg, late);
    await t.feed(lavfiFrames(SCENE, 3, STILL), false);
    await t.feed(lavfiFrames(SCENE, 2, LIVE), false);
    t.vision.stop();
    assert.equal(t.findings.length, 2);
    assert.equal(t.findings[1]!.jpeg, undefined);
  });

  it('frames dropped by the tap are counted from its running total', async () => {
    const t = setup();
    t.vision.framesDropped(3);
    t.vision.framesDropped(3);
    t.vision.framesDropped(5);
    assert.equal(await t.metric('camera_frames_dropped_total', 'camera_id="cam-1"'), 5);
  });
});

describe('vision settings', () => {
  it('a camera analysed at a frame rate keeps the debounces in time and learns over as long as from key frames', async () => {
    const { visionSettings: settingsOf, DEFAULT_VISION: defaults } = await import('../../src/frames/vision-settings.ts');
    const keyFrames = settingsOf(defaults, {});
    assert.equal(keyFrames.analyzer.health.debounce.black.onSeconds, 0);
    const fast = settingsOf(defaults, { frame_rate: 5 });
    assert.equal(fast.frameRate, 5);
    // 3 key frames of a 2 s GOP span 4 s: at 5 fps black still needs 4 s
    assert.equal(fast.analyzer.health.debounce.black.onSeconds, 4);
    assert.equal(fast.analyzer.health.debounce.moved.onSeconds, 8);
    assert.equal(fast.analyzer.health.moved.learnFrames, 30 * 10);
    assert.equal(fast.analyzer.motion.debounce.onFrames, 1);
    assert.equal(fast.analyzer.motion.debounce.offSeconds, 1);
  });
});

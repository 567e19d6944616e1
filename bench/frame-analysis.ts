// CPU time of the frame-analysis core (src/frames/) per 320×180 gray key frame, against baselines in
// the same run: copying the frame (what any consumer of the frame pipe does at least) and one pass
// computing its mean. The analysis core only: decoding, scaling and the pipe are ffmpeg's and not here.
//
//   npm exec -- node bench/frame-analysis.ts [--rounds 7] [--frames 3000]
import { parseArgs } from 'node:util';
import { DEFAULT_ANALYZER_OPTIONS } from '../src/frames/analysis-options.ts';
import { FrameAnalyzer } from '../src/frames/analyzer.ts';
import { frameFeatures } from '../src/frames/features.ts';
import type { GrayFrame } from '../src/frames/frame.ts';
import { asKeyFrames, KEY_FRAME_MS, lavfiFrames } from '../test/support/lavfi-frames.ts';
import { machineInfo } from './lib/machine.ts';
import { fmt, median } from './lib/stats.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, frames: { type: 'string', default: '3000' } } });
const rounds = Number(values.rounds);
const perRound = Number(values.frames);

// a moving scene with sensor noise, and a masked motion detector, so every code path runs
const pictures = lavfiFrames('testsrc2=size=320x180:rate=0.5', 240, 'noise=alls=4:allf=t');
const frameAt = (i: number): GrayFrame => {
  const frame = asKeyFrames([pictures[i % pictures.length]!], 0)[0]!;
  return { ...frame, capturedAt: i * KEY_FRAME_MS };
};
const options = { ...DEFAULT_ANALYZER_OPTIONS, motion: { ...DEFAULT_ANALYZER_OPTIONS.motion, mask: [{ x: 0, y: 0, w: 0.25, h: 0.2 }] } };

let sink = 0;
const passes: Record<string, () => (frame: GrayFrame, previous: GrayFrame | undefined) => void> = {
  'copy the frame (baseline)': () => (frame) => {
    sink += frame.data.slice()[0]!;
  },
  'mean luma only (baseline)': () => (frame) => {
    const data = frame.data;
    let s = 0;
    for (let i = 0; i < data.length; i++) s += data[i]!;
    sink += s / data.length;
  },
  'features only': () => (frame, previous) => {
    sink += frameFeatures(frame, previous).meanLuma;
  },
  'features + 5 health detectors + motion': () => {
    const analyzer = new FrameAnalyzer(options, 0);
    return (frame) => {
      sink += analyzer.analyze(frame).changed.length;
    };
  },
};

/** CPU microseconds (user + sys) per frame over `perRound` consecutive frames */
function measure(make: () => (frame: GrayFrame, previous: GrayFrame | undefined) => void): number {
  const pass = make();
  const frames = Array.from({ length: perRound }, (_, i) => frameAt(i));
  const start = process.cpuUsage();
  for (let i = 0; i < frames.length; i++) pass(frames[i]!, frames[i - 1]);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / frames.length;
}

const names = Object.keys(passes);
for (const name of names) measure(passes[name]!); // warm-up: let the JIT settle
const samples = new Map<string, number[]>(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  // rotate the order so load on a shared machine does not always fall on the same pass
  for (let k = 0; k < names.length; k++) {
    const name = names[(r + k) % names.length]!;
    samples.get(name)!.push(measure(passes[name]!));
  }
}

const m = machineInfo();
console.log(`frame analysis, 320×180 gray, ${rounds} rounds × ${perRound} frames, median per frame; ${JSON.stringify(m)}\n`);
console.log('| pass | CPU µs per frame (median) | min–max over rounds | share of one core per camera at 1 key frame / 2 s |');
console.log('|---|---:|---:|---:|');
for (const name of names) {
  const s = samples.get(name)!;
  const us = median(s);
  console.log(`| ${name} | ${fmt(us, 0)} | ${fmt(Math.min(...s), 0)}–${fmt(Math.max(...s), 0)} | ${fmt((us / (KEY_FRAME_MS * 1000)) * 100, 3)} % |`);
}
if (sink === Number.NEGATIVE_INFINITY) console.log(sink);

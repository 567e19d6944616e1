// What the detectors know about a frame, computed once per frame and shared by all of them.

import { checkFrame, type GrayFrame } from './frame.ts';
import { blockSignature } from './signature.ts';

export interface FrameChange {
  /** mean |this − previous| in luma levels (0..255) */
  readonly meanAbsDiff: number;
  /** share of pixels (0..1) whose luma moved by more than the noise threshold */
  readonly changedShare: number;
  /** mean |this − previous| over the other pixels: ~0 when the picture repeats, 1–3 from a live sensor's noise */
  readonly quietMeanAbsDiff: number;
}

export interface FrameFeatures {
  /** mean luma, 0..255 */
  readonly meanLuma: number;
  /** standard deviation of luma: how much the picture varies at all */
  readonly lumaSpread: number;
  /** share (0..1) of pixels in the most common 8-level luma bin: 1 for a single colour */
  readonly dominantShare: number;
  /** share (0..1) of pixels on a sharp edge: the blur measure (see sharpEdgeShare) */
  readonly detail: number;
  /** difference from the previous frame; undefined without one (the first frame, after a gap or a size change) */
  readonly change: FrameChange | undefined;
  /** normalized 32×18 block means (see signature.ts) */
  readonly signature: Float32Array;
}

/** Differences up to this many luma levels are sensor and compression noise, not change. */
export const DEFAULT_NOISE_LEVEL = 12;
/** a gradient step below this is noise even in a flat picture (sensor noise sigma 10 stays under it) */
const MIN_EDGE_STEP = 24;
const EDGE_STEP_OF_SPREAD = 0.9;

export function frameFeatures(frame: GrayFrame, previous: GrayFrame | undefined, noiseLevel = DEFAULT_NOISE_LEVEL): FrameFeatures {
  checkFrame(frame);
  const { meanLuma, lumaSpread, dominantShare } = lumaStats(frame.data);
  if (previous !== undefined && (previous.width !== frame.width || previous.height !== frame.height)) {
    throw new RangeError(
      `frame features: previous frame is ${previous.width}x${previous.height}, this one ${frame.width}x${frame.height}; compare only frames of one size`,
    );
  }
  return {
    meanLuma,
    lumaSpread,
    dominantShare,
    detail: sharpEdgeShare(frame, lumaSpread),
    change: previous === undefined ? undefined : frameChange(frame.data, previous.data, noiseLevel),
    signature: blockSignature(frame),
  };
}

function lumaStats(data: Uint8Array): { meanLuma: number; lumaSpread: number; dominantShare: number } {
  const hist = new Uint32Array(256);
  for (let i = 0; i < data.length; i++) hist[data[i]!]!++;
  let sum = 0;
  let sumSq = 0;
  let top = 0;
  for (let bin = 0; bin < 256; bin += 8) {
    let inBin = 0;
    for (let v = bin; v < bin + 8; v++) {
      const n = hist[v]!;
      inBin += n;
      sum += n * v;
      sumSq += n * v * v;
    }
    if (inBin > top) top = inBin;
  }
  const mean = sum / data.length;
  return { meanLuma: mean, lumaSpread: Math.sqrt(Math.max(0, sumSq / data.length - mean * mean)), dominantShare: top / data.length };
}

/**
 * Share of pixels on a sharp edge: central-difference gradient |gx| + |gy| above 0.9 × the picture's own
 * spread (so fog or dusk, which lower contrast, do not read as blur) and above sensor noise. Defocus
 * spreads every edge over several pixels, so this share collapses (to ~10 % at gblur sigma 3) while
 * noise, which inflates a plain Laplacian, hardly adds to it.
 */
function sharpEdgeShare(frame: GrayFrame, lumaSpread: number): number {
  const { width, height, data } = frame;
  const threshold = Math.max(MIN_EDGE_STEP, EDGE_STEP_OF_SPREAD * lumaSpread);
  let sharp = 0;
  for (let y = 1; y < height - 1; y++) {
    const row = y * width;
    for (let x = 1; x < width - 1; x++) {
      const i = row + x;
      if (Math.abs(data[i + 1]! - data[i - 1]!) + Math.abs(data[i + width]! - data[i - width]!) > threshold) sharp++;
    }
  }
  return sharp / ((width - 2) * (height - 2));
}

function frameChange(data: Uint8Array, prev: Uint8Array, noiseLevel: number): FrameChange {
  let sum = 0;
  let quietSum = 0;
  let changed = 0;
  for (let i = 0; i < data.length; i++) {
    const d = Math.abs(data[i]! - prev[i]!);
    sum += d;
    if (d > noiseLevel) changed++;
    else quietSum += d;
  }
  const quiet = data.length - changed;
  return { meanAbsDiff: sum / data.length, changedShare: changed / data.length, quietMeanAbsDiff: quiet === 0 ? 0 : quietSum / quiet };
}

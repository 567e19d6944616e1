// A small picture of the scene's layout, used to tell "the camera was turned" from "the light changed".

import type { GrayFrame } from './frame.ts';

export const SIGNATURE_COLS = 32;
export const SIGNATURE_ROWS = 18;

/**
 * Block means on a 32×18 grid, then shifted to mean 0 and scaled to standard deviation 1, so a global
 * change of brightness or contrast (dusk, auto-exposure) leaves the signature nearly unchanged while a
 * different view does not. A flat picture has no layout: its signature is all zeros.
 */
export function blockSignature(frame: GrayFrame): Float32Array {
  const { width, height, data } = frame;
  const sums = new Float64Array(SIGNATURE_COLS * SIGNATURE_ROWS);
  const counts = new Uint32Array(SIGNATURE_COLS * SIGNATURE_ROWS);
  const colBlock = new Uint8Array(width);
  for (let x = 0; x < width; x++) colBlock[x] = Math.floor((x * SIGNATURE_COLS) / width);
  for (let y = 0; y < height; y++) {
    const rowBase = Math.floor((y * SIGNATURE_ROWS) / height) * SIGNATURE_COLS;
    const offset = y * width;
    for (let x = 0; x < width; x++) {
      const b = rowBase + colBlock[x]!;
      sums[b]! += data[offset + x]!;
      counts[b]!++;
    }
  }
  const sig = new Float32Array(sums.length);
  let mean = 0;
  for (let i = 0; i < sig.length; i++) {
    sig[i] = sums[i]! / counts[i]!;
    mean += sig[i]!;
  }
  return normalize(sig, mean / sig.length);
}

function normalize(sig: Float32Array, mean: number): Float32Array {
  let variance = 0;
  for (let i = 0; i < sig.length; i++) {
    sig[i]! -= mean;
    variance += sig[i]! * sig[i]!;
  }
  const std = Math.sqrt(variance / sig.length);
  // below a quarter of a luma level the "layout" is noise
  if (std < 0.25) return sig.fill(0);
  for (let i = 0; i < sig.length; i++) sig[i]! /= std;
  return sig;
}

/** 1 − correlation of two normalized signatures: 0 the same layout, 1 unrelated, 2 inverted. */
export function signatureDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return 1 - dot / a.length;
}

/** Renormalizes a blended reference so distances stay on the same scale. */
export function renormalize(sig: Float32Array): Float32Array {
  let mean = 0;
  for (const v of sig) mean += v;
  return normalize(sig, mean / sig.length);
}

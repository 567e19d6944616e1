// Areas where motion does not count (a road, a tree, a clock), in 0..1 coordinates so a mask drawn once
// still fits when the camera or the analysis size changes.

export interface NormalizedRect {
  /** left edge, 0..1 of the width */
  readonly x: number;
  /** top edge, 0..1 of the height */
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** Throws a message naming the rectangle and the field when a mask rectangle is outside the picture. */
export function checkMask(rects: readonly NormalizedRect[]): void {
  rects.forEach((r, i) => {
    for (const key of ['x', 'y', 'w', 'h'] as const) {
      const v = r[key];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
        throw new RangeError(
          `motion mask[${i}].${key} = ${String(v)}: expected a number from 0 to 1 (a share of the picture's ${key === 'x' || key === 'w' ? 'width' : 'height'})`,
        );
      }
    }
    if (r.x + r.w > 1 + 1e-9 || r.y + r.h > 1 + 1e-9) {
      throw new RangeError(`motion mask[${i}] = ${JSON.stringify(r)} reaches past the picture: x + w and y + h must be at most 1`);
    }
  });
}

/** 1 for each pixel to ignore. A pixel is ignored when its centre lies in a rectangle. */
export function maskPixels(rects: readonly NormalizedRect[], width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (const r of rects) {
    const x0 = Math.max(0, Math.round(r.x * width));
    const x1 = Math.min(width, Math.round((r.x + r.w) * width));
    const y0 = Math.max(0, Math.round(r.y * height));
    const y1 = Math.min(height, Math.round((r.y + r.h) * height));
    for (let y = y0; y < y1; y++) mask.fill(1, y * width + x0, y * width + x1);
  }
  return mask;
}

// Motion by frame differencing: the share of the (unmasked) picture that changed since the previous
// frame, and the periods during which it stayed above the area threshold.

import { Debounce, type DebounceOptions } from './debounce.ts';
import type { GrayFrame } from './frame.ts';
import { checkMask, maskPixels, type NormalizedRect } from './mask.ts';

export interface MotionOptions {
  /** a pixel moved when its luma changed by more than this (0..255); above sensor noise */
  readonly pixelThreshold: number;
  /** share (0..1) of the unmasked picture that must change for a frame to count as motion */
  readonly minArea: number;
  /** above this share the whole picture changed: exposure or lights, not motion */
  readonly maxArea: number;
  readonly mask: readonly NormalizedRect[];
  readonly debounce: DebounceOptions;
}

export interface NormalizedBox {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface MotionPeriod {
  /** capture time (ms) of the first moving frame */
  readonly start: number;
  /** capture time of the first still frame of the run that ended it; undefined while it lasts */
  end: number | undefined;
  /** largest changed share seen in the period */
  maxArea: number;
  /** union of the moving areas over the period's moving frames, 0..1 coordinates (undefined: only scattered pixels moved) */
  box: NormalizedBox | undefined;
}

export interface MotionSample {
  /** changed share of the unmasked picture; undefined when there was no previous frame to compare */
  readonly area: number | undefined;
  readonly box: NormalizedBox | undefined;
  readonly active: boolean;
}

/** grid cells for the bounding box: a cell moves when a tenth of it changed, so lone noisy pixels do not stretch the box */
const GRID_COLS = 32;
const GRID_ROWS = 18;
const CELL_MOVING_SHARE = 0.1;
/** finished periods kept for a publisher that has not collected them yet */
const MAX_FINISHED = 1000;

export class MotionDetector {
  readonly #options: MotionOptions;
  readonly #debounce: Debounce;
  #mask: { width: number; height: number; pixels: Uint8Array; open: number } | undefined;
  #current: MotionPeriod | undefined;
  #finished: MotionPeriod[] = [];
  #dropped = 0;

  constructor(options: MotionOptions, startedAt: number) {
    checkMask(options.mask);
    this.#options = options;
    this.#debounce = new Debounce(options.debounce, startedAt, 'motion');
  }

  get active(): boolean {
    return this.#debounce.state.status === 'problem';
  }

  /** the period under way, if any */
  get current(): MotionPeriod | undefined {
    return this.#current;
  }

  /** Periods that ended since the last call (oldest first), and how many were dropped because nobody collected them. */
  takeFinished(): { periods: MotionPeriod[]; dropped: number } {
    const out = { periods: this.#finished, dropped: this.#dropped };
    this.#finished = [];
    this.#dropped = 0;
    return out;
  }

  /** Compares a frame with the previous one (same size) and moves the motion state on. */
  update(frame: GrayFrame, previous: GrayFrame | undefined): MotionSample {
    if (previous === undefined || previous.width !== frame.width || previous.height !== frame.height) {
      return { area: undefined, box: undefined, active: this.active };
    }
    const { area, box } = this.#changedArea(frame, previous.data);
    const moving = area >= this.#options.minArea && area <= this.#options.maxArea;
    const flipped = this.#debounce.update(moving, frame.capturedAt);
    if (flipped && this.active) {
      this.#current = { start: this.#debounce.state.since, end: undefined, maxArea: area, box };
    } else if (this.#current !== undefined && moving) {
      this.#current.maxArea = Math.max(this.#current.maxArea, area);
      this.#current.box = unionBox(this.#current.box, box);
    }
    if (flipped && !this.active && this.#current !== undefined) {
      this.#current.end = this.#debounce.state.since;
      this.#finish(this.#current);
      this.#current = undefined;
    }
    return { area, box, active: this.active };
  }

  #finish(period: MotionPeriod): void {
    this.#finished.push(period);
    if (this.#finished.length > MAX_FINISHED) {
      this.#finished.shift();
      this.#dropped++;
    }
  }

  #changedArea(frame: GrayFrame, prev: Uint8Array): { area: number; box: NormalizedBox | undefined } {
    const { width, height, data } = frame;
    const mask = this.#maskFor(width, height);
    const threshold = this.#options.pixelThreshold;
    const cells = new Uint32Array(GRID_COLS * GRID_ROWS);
    let changed = 0;
    for (let y = 0; y < height; y++) {
      const rowCell = Math.floor((y * GRID_ROWS) / height) * GRID_COLS;
      const row = y * width;
      for (let x = 0; x < width; x++) {
        const i = row + x;
        if (mask.pixels[i] === 1 || Math.abs(data[i]! - prev[i]!) <= threshold) continue;
        changed++;
        cells[rowCell + Math.floor((x * GRID_COLS) / width)]!++;
      }
    }
    const area = mask.open === 0 ? 0 : changed / mask.open;
    return { area, box: movingBox(cells, (width / GRID_COLS) * (height / GRID_ROWS)) };
  }

  #maskFor(width: number, height: number): { pixels: Uint8Array; open: number } {
    if (this.#mask?.width !== width || this.#mask.height !== height) {
      const pixels = maskPixels(this.#options.mask, width, height);
      this.#mask = { width, height, pixels, open: pixels.length - pixels.reduce((n, v) => n + v, 0) };
    }
    return this.#mask;
  }
}

function movingBox(cells: Uint32Array, cellPixels: number): NormalizedBox | undefined {
  let c0 = GRID_COLS;
  let c1 = -1;
  let r0 = GRID_ROWS;
  let r1 = -1;
  for (let r = 0; r < GRID_ROWS; r++) {
    for (let c = 0; c < GRID_COLS; c++) {
      if (cells[r * GRID_COLS + c]! < cellPixels * CELL_MOVING_SHARE) continue;
      c0 = Math.min(c0, c);
      c1 = Math.max(c1, c);
      r0 = Math.min(r0, r);
      r1 = Math.max(r1, r);
    }
  }
  if (c1 < 0) return undefined;
  return { x: c0 / GRID_COLS, y: r0 / GRID_ROWS, w: (c1 - c0 + 1) / GRID_COLS, h: (r1 - r0 + 1) / GRID_ROWS };
}

function unionBox(a: NormalizedBox | undefined, b: NormalizedBox | undefined): NormalizedBox | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}

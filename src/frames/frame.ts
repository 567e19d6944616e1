// The unit the analysis works on: one small 8-bit gray (luma) picture and when it was captured.

export interface GrayFrame {
  readonly width: number;
  readonly height: number;
  /** width × height luma bytes, row by row */
  readonly data: Uint8Array;
  /** capture time, milliseconds since the epoch */
  readonly capturedAt: number;
}

/** Throws when a frame's buffer does not hold exactly width × height bytes (a torn read from the pipe). */
export function checkFrame(frame: GrayFrame): void {
  const { width, height, data } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 3 || height < 3) {
    throw new RangeError(`gray frame: size ${width}x${height} is not a picture; expected integers of at least 3x3`);
  }
  if (data.length !== width * height) {
    throw new RangeError(`gray frame: ${data.length} bytes for ${width}x${height}; expected ${width * height} (one luma byte per pixel)`);
  }
}

// Snapshots at a width a client asks for, made in memory (sharp/libvips, no process per request)
// and kept until the camera's next key frame: a wall of 25 thumbnails polled every second scales
// each key frame once.
import sharp from 'sharp';
import type { TapJpeg } from './jpeg-tap.ts';

/** Scaled pictures kept: one per camera and width a client asked for, at most this many. */
const MAX_KEPT = 256;

export class SnapshotScaler {
  readonly #kept = new Map<string, { source: Buffer; scaled: Promise<Buffer> }>();

  /** The snapshot `width` pixels wide (height by the aspect); the original when it is not wider. */
  async scaled(cameraId: string, snapshot: TapJpeg, width: number): Promise<Buffer> {
    const key = `${cameraId}@${width}`;
    const kept = this.#kept.get(key);
    if (kept?.source === snapshot.jpeg) return kept.scaled;
    const scaled = sharp(snapshot.jpeg).resize({ width, withoutEnlargement: true, fastShrinkOnLoad: true }).jpeg({ quality: 80 }).toBuffer();
    this.#kept.delete(key); // re-inserted last: the map's order is least recently made first
    this.#kept.set(key, { source: snapshot.jpeg, scaled });
    if (this.#kept.size > MAX_KEPT) this.#kept.delete(this.#kept.keys().next().value as string);
    scaled.catch(() => this.#kept.delete(key)); // a broken picture is tried again with the next one
    return scaled;
  }
}

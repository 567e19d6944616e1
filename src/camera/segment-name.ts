// Names of a segment: the local file ffmpeg writes and the object key in the store.

const LOCAL = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})\.mp4$/;

/** UTC start time (ms) from a local segment file name such as `20251214-013000.mp4`; undefined if not one. */
export function startFromFileName(name: string): number | undefined {
  const m = LOCAL.exec(name);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(t) ? undefined : t;
}

/** `camera-1/20251214/013000_camera-1.mp4` for a segment of camera-1 that started 2025-12-14T01:30:00Z. */
export function objectKey(cameraId: string, startMs: number): string {
  const iso = new Date(startMs).toISOString(); // 2025-12-14T01:30:00.000Z
  const day = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 19).replaceAll(':', '');
  return `${cameraId}/${day}/${time}_${cameraId}.mp4`;
}

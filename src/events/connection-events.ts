// camera.connected / camera.disconnected as every kind of recorder tells them.
import type { EmitEvent } from './event-bus.ts';

/** A camera's source type from its URL, for a recorder made without one (rtsp, rtsps, file, synthetic). */
export function sourceTypeOf(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  return scheme === 'rtsps' ? 'rtsp' : (scheme ?? 'rtsp');
}

/** Tells that the camera's stream came up, or went down and why. */
export function emitConnection(emit: EmitEvent | undefined, cameraId: string, sourceType: string, connected: boolean, reason: string): void {
  if (!emit) return;
  if (connected) emit('camera.connected', cameraId, { source_type: sourceType });
  else emit('camera.disconnected', cameraId, { source_type: sourceType, reason });
}

// Why a pushed frame was not taken. The route maps the kind to a status (push-status in
// routes/ingest.ts); a Redis consumer leaves a refused entry unacknowledged or drops it by kind.

import { FrameRefusedError } from './frame-refused.ts';

export type PushRefusal =
  /** Not a complete JPEG: the sender must fix what it sends. */
  | 'not_jpeg'
  /** Over the size limit. */
  | 'too_large'
  /** The recording cannot take frames now (stopping, or not keeping up): send it again later. */
  | 'unavailable';

/**
 * A FrameRefusedError, so that a source that acknowledges frames (a Redis consumer group) can tell
 * a picture that can never be recorded (`not_jpeg`, `too_large`: acknowledged and skipped) from a
 * camera that cannot take it now (`unavailable`: left pending, read again).
 */
export class PushRefused extends FrameRefusedError {
  readonly kind: PushRefusal;
  constructor(kind: PushRefusal, message: string) {
    super(message, kind === 'unavailable' ? 'stopping' : 'picture');
    this.name = 'PushRefused';
    this.kind = kind;
  }
}

// Why a pushed frame was not taken. The route maps the kind to a status (push-status in
// routes/ingest.ts); a Redis consumer leaves a refused entry unacknowledged or drops it by kind.

export type PushRefusal =
  /** Not a complete JPEG: the sender must fix what it sends. */
  | 'not_jpeg'
  /** Over the size limit. */
  | 'too_large'
  /** The recording cannot take frames now (stopping, or not keeping up): send it again later. */
  | 'unavailable';

export class PushRefused extends Error {
  readonly kind: PushRefusal;
  constructor(kind: PushRefusal, message: string) {
    super(message);
    this.name = 'PushRefused';
    this.kind = kind;
  }
}

// Which envelopes a subscriber wants: some cameras, some types (`motion.*` for every motion event).
// Read from a WebSocket client's query (`?camera=a,b&type=health.problem,motion.*`); a type that no
// event has is a mistake worth a 400, a camera that does not exist (yet) is not: cameras come and
// go at runtime and a client may wait for one.
import { CAMERA_ID } from '../config/schema.ts';
import { EVENT_TYPES, type EventType } from './event-types.ts';

export interface EventFilter {
  /** The cameras wanted; undefined: all. */
  cameras: ReadonlySet<string> | undefined;
  /** The types wanted; undefined: all. */
  types: ReadonlySet<EventType> | undefined;
}

/** What a filter parameter holds that cannot be right; `param` names it for the 400. */
export class FilterError extends Error {
  readonly param: string;
  constructor(param: string, message: string) {
    super(message);
    this.param = param;
  }
}

const PREFIXES = [...new Set(EVENT_TYPES.map((t) => t.slice(0, t.indexOf('.'))))];

function items(param: string, text: string): string[] {
  const list = text.split(',').map((s) => s.trim());
  if (list.some((s) => s === '')) throw new FilterError(param, `${param} has an empty item ("${text.slice(0, 64)}"): give a comma-separated list`);
  return list;
}

/** The types one item names: itself, or every type under `prefix.*`. */
function typesOf(item: string): EventType[] {
  if (item.endsWith('.*')) {
    const prefix = item.slice(0, -1);
    const matched = EVENT_TYPES.filter((t) => t.startsWith(prefix));
    if (matched.length > 0) return matched;
  } else {
    const exact = EVENT_TYPES.find((t) => t === item);
    if (exact) return [exact];
  }
  throw new FilterError(
    'type',
    `unknown event type "${item.slice(0, 64)}"; use one of ${EVENT_TYPES.join(', ')}, or a prefix such as ${PREFIXES.map((p) => `${p}.*`).join(', ')}`,
  );
}

/** The filter of `?camera=` and `?type=`; throws FilterError naming the parameter. */
export function parseEventFilter(query: { camera?: string | undefined; type?: string | undefined }): EventFilter {
  let cameras: Set<string> | undefined;
  if (query.camera !== undefined) {
    cameras = new Set(items('camera', query.camera));
    for (const id of cameras) {
      if (!CAMERA_ID.test(id))
        throw new FilterError('camera', `camera "${id.slice(0, 64)}" is not a camera id: 1 to 63 lowercase letters, digits and "-", e.g. camera-1`);
    }
  }
  const types = query.type === undefined ? undefined : new Set(items('type', query.type).flatMap(typesOf));
  return { cameras, types };
}

export function cameraWanted(filter: EventFilter, cameraId: string): boolean {
  return filter.cameras === undefined || filter.cameras.has(cameraId);
}

export function envelopeWanted(filter: EventFilter, e: { camera_id: string; type: EventType }): boolean {
  return cameraWanted(filter, e.camera_id) && (filter.types === undefined || filter.types.has(e.type));
}

// camera.added / camera.changed / camera.removed from the supervisor's before and after of one camera.
// Never the URL or the push token: they may hold a secret. `changed` names the fields, not values.
import type { CameraSpec } from '../camera/camera-spec.ts';
import type { EmitEvent } from './event-bus.ts';

/** The fields whose change is told; url and push_token by name only. */
const TOLD: [keyof CameraSpec, string][] = [
  ['url', 'url'],
  ['pushToken', 'push_token'],
  ['labels', 'labels'],
  ['enabled', 'enabled'],
  ['analysis', 'analysis'],
  ['redis', 'redis'],
  ['sourceType', 'source_type'],
];

const definedIn = (spec: CameraSpec): string => spec.definedIn ?? spec.origin;

export function emitCameraChange(emit: EmitEvent | undefined, before: CameraSpec | undefined, after: CameraSpec | undefined): void {
  if (!emit) return;
  if (after && !before) {
    emit('camera.added', after.id, { source_type: after.sourceType, labels: after.labels, defined_in: definedIn(after) });
  } else if (before && !after) {
    emit('camera.removed', before.id, { source_type: before.sourceType, defined_in: definedIn(before) });
  } else if (before && after) {
    const changed = TOLD.filter(([k]) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).map(([, name]) => name);
    if (changed.length > 0) emit('camera.changed', after.id, { source_type: after.sourceType, labels: after.labels, defined_in: definedIn(after), changed });
  }
}

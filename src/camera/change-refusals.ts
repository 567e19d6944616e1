// What a refused camera change says: each refusal names what was wrong and what to do, in the
// words the API answers with (the routes map the kind to a status).
import { errorMessage, StoreError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { CameraChangeError } from './camera-service.ts';
import type { CameraSpec } from './camera-spec.ts';

export function notRunning(phase: 'created' | 'stopping' | 'stopped'): CameraChangeError {
  return new CameraChangeError('unavailable', `cameras cannot be changed while the service is ${phase === 'created' ? 'starting' : 'stopping'}; try again`);
}

export function notFound(id: string): CameraChangeError {
  return new CameraChangeError('not_found', `no camera "${id}"; GET /api/cameras lists them`);
}

export function readOnly(spec: CameraSpec): CameraChangeError {
  return new CameraChangeError('read_only', `camera "${spec.id}" is defined in ${spec.definedIn} and can be changed only there (then restart the service)`);
}

export function taken(existing: CameraSpec): CameraChangeError {
  const where = existing.origin === 'config' ? ` (defined in ${existing.definedIn})` : '';
  return new CameraChangeError('conflict', `camera "${existing.id}" already exists${where}; choose another id, or PATCH /api/cameras/${existing.id}`, 'id');
}

/** Runs the store write of a change; a failure becomes the refusal that says whether it may have been stored. */
export async function persisted(write: () => Promise<void>, log: Logger): Promise<void> {
  try {
    await write();
  } catch (err) {
    const message = err instanceof StoreError ? err.message : errorMessage(err);
    // a request that timed out may still have been carried out by the store: say so, and that a retry is safe
    if (err instanceof StoreError && err.kind === 'timeout') {
      log.warn({ err: message }, 'the store did not confirm the camera change in time; it may be stored, nothing was started or stopped');
      throw new CameraChangeError(
        'unavailable',
        `the store, where cameras are kept, did not confirm the change in time (${message}); it may be stored, but no recorder was started or stopped: send it again (repeating it is safe)`,
      );
    }
    log.warn({ err: message }, 'cannot store the camera change; nothing was changed');
    throw new CameraChangeError('unavailable', `the store, where cameras are kept, did not take the change (${message}); nothing was changed, try again`);
  }
}

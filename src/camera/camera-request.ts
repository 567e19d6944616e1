// A camera request checked whole before anything changes: the fields of a new camera, or the
// changes of a PATCH, each with the same rules as the configuration. Every secret it carries (a
// URL's password, a push token) is given to the redactor before anything can log it.
import type { Redactor } from '../redact.ts';
import {
  checkAnalysisInput,
  checkEnabled,
  checkId,
  checkLabelsInput,
  checkPushToken,
  checkSourceType,
  checkSourceUrl,
  type InputRules,
} from './camera-input.ts';
import type { CameraPatch, NewCamera, SourceType } from './camera-service.ts';
import type { CameraSpec } from './camera-spec.ts';

export type NewCameraFields = Pick<CameraSpec, 'id' | 'sourceType' | 'url' | 'pushToken' | 'labels' | 'enabled' | 'analysis'>;
export type CameraChanges = Partial<Pick<CameraSpec, 'url' | 'pushToken' | 'labels' | 'enabled' | 'analysis'>>;

/** Throws CameraChangeError naming the first field at fault. */
export function checkNewCamera(input: NewCamera, rules: InputRules, redactor: Redactor): NewCameraFields {
  const id = checkId((input as { id?: unknown }).id);
  const sourceType = checkSourceType(input.source_type, rules);
  const url = checkSourceUrl(input.source_url, sourceType);
  const pushToken = checkPushToken(input.push_token, sourceType);
  redactor.addUrlPasswords([url]);
  if (pushToken !== undefined) redactor.add(pushToken);
  const labels = checkLabelsInput(input.labels);
  const enabled = checkEnabled(input.enabled);
  const analysis = checkAnalysisInput(input.analysis);
  return { id, sourceType, url, ...(pushToken !== undefined && { pushToken }), labels, enabled, ...(analysis && { analysis }) };
}

/** The changes a PATCH asks for, checked for a camera of `type` (undefined: unknown, a 404 follows). */
export function checkCameraPatch(patch: CameraPatch, type: SourceType | undefined, redactor: Redactor): CameraChanges {
  const url = patch.source_url === undefined ? undefined : checkSourceUrl(patch.source_url, type ?? 'rtsp');
  if (url !== undefined) redactor.addUrlPasswords([url]);
  const pushToken = type === undefined ? undefined : checkPushToken(patch.push_token, type);
  if (pushToken !== undefined) redactor.add(pushToken);
  const labels = patch.labels === undefined ? undefined : checkLabelsInput(patch.labels);
  const enabled = patch.enabled === undefined ? undefined : checkEnabled(patch.enabled);
  const analysis = checkAnalysisInput(patch.analysis);
  return {
    ...(url !== undefined && { url }),
    ...(pushToken !== undefined && { pushToken }),
    ...(labels !== undefined && { labels }),
    ...(enabled !== undefined && { enabled }),
    ...(analysis !== undefined && { analysis }),
  };
}

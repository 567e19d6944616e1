// What the API may set on a camera, checked with the same rules as the configuration's cameras.
// Only rtsp:// and rtsps:// come from a request (or no URL, for an http_push camera); synthetic: only where the configuration allows it
// (api.allow_synthetic_cameras, for the demo and benchmarks); never a file path or a lavfi string.
import { checkUrl } from '../config/camera-url.ts';
import { checkLabels } from '../config/labels.ts';
import { pushTokenProblem } from '../config/push-token.ts';
import { CAMERA_ID } from '../config/schema.ts';
import type { ConfigProblem } from '../errors.ts';
import { type AnalysisInput, checkAnalysis } from '../frames/vision-settings.ts';
import { CameraChangeError, type SourceType } from './camera-service.ts';

export interface InputRules {
  allowSynthetic: boolean;
}

export function checkId(id: unknown): string {
  if (typeof id !== 'string' || !CAMERA_ID.test(id)) {
    const shown = typeof id === 'string' ? `"${id.slice(0, 80)}"` : 'missing';
    throw new CameraChangeError(
      'invalid',
      `id ${shown} is not a valid camera id: use 1-63 lowercase letters, digits and "-", not starting or ending with "-" (it becomes a directory and an object key)`,
      'id',
    );
  }
  return id;
}

export function checkSourceType(type: unknown, rules: InputRules): SourceType {
  if (type === 'rtsp' || type === 'http_push') return type;
  if (type === 'synthetic' && rules.allowSynthetic) return 'synthetic';
  const why = type === 'file' ? 'file cameras are defined in the configuration only' : `${JSON.stringify(type) ?? 'missing'} is not a source type`;
  throw new CameraChangeError('invalid', `source_type: ${why}; use "rtsp" or "http_push"`, 'source_type');
}

/** An http_push camera's token: absent (the API token only), or one of its own; never quoted back. */
export function checkPushToken(token: unknown, type: SourceType): string | undefined {
  if (token === undefined) return undefined;
  if (type !== 'http_push')
    throw new CameraChangeError('invalid', `push_token: only an http_push camera takes one; a ${type} camera has no pictures pushed to it`, 'push_token');
  const why = pushTokenProblem(token);
  if (why !== undefined) throw new CameraChangeError('invalid', `push_token: ${why}`, 'push_token');
  return token as string;
}

/** The source URL of a camera of this type; "" for http_push, which takes none. */
export function checkSourceUrl(url: unknown, type: SourceType): string {
  if (type === 'http_push') {
    if (url === undefined || url === '') return '';
    throw new CameraChangeError(
      'invalid',
      'source_url: an http_push camera takes no source_url: its pictures are POSTed to /api/ingest/push/{id}',
      'source_url',
    );
  }
  const problems: ConfigProblem[] = [];
  const checked = checkUrl(url, 'source_url', problems);
  if (checked === undefined) throw new CameraChangeError('invalid', `source_url: ${problems[0]?.message ?? 'invalid'}`, 'source_url');
  const synthetic = checked.startsWith('synthetic:');
  if (synthetic !== (type === 'synthetic')) {
    throw new CameraChangeError(
      'invalid',
      `source_url: a ${type} camera takes ${type === 'synthetic' ? 'a synthetic: URL' : 'an rtsp:// or rtsps:// URL'}`,
      'source_url',
    );
  }
  return checked;
}

export function checkLabelsInput(labels: unknown): Record<string, string> {
  const problems: ConfigProblem[] = [];
  const checked = checkLabels(labels, 'labels', problems);
  if (checked === undefined) throw new CameraChangeError('invalid', `labels: ${problems.map((p) => p.message).join('; ')}`, 'labels');
  return checked;
}

export function checkEnabled(enabled: unknown): boolean {
  if (enabled === undefined) return true;
  if (typeof enabled !== 'boolean') throw new CameraChangeError('invalid', 'enabled: must be true or false', 'enabled');
  return enabled;
}

/** A camera's `analysis` settings; undefined when none are given (the service's defaults apply). */
export function checkAnalysisInput(analysis: unknown): AnalysisInput | undefined {
  if (analysis === undefined) return undefined;
  const problems: ConfigProblem[] = [];
  const checked = checkAnalysis(analysis, 'analysis', problems);
  const first = problems[0];
  if (checked === undefined) throw new CameraChangeError('invalid', first ? `${first.key}: ${first.message}` : 'analysis: invalid', first?.key ?? 'analysis');
  return checked;
}

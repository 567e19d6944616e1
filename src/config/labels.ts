// A camera's labels (site, zone, …) reach two places: the camera_info metric, where each becomes a
// Prometheus label, and every stored segment's metadata, so footage found in the bucket says where
// it comes from. Their names must be valid in both.
import type { ConfigProblem } from '../errors.ts';
import { isTable } from './table.ts';

/** Prometheus label names; "__" is reserved for Prometheus itself, camera_id is ours. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const EXAMPLE = 'e.g. labels = { site = "store-12", zone = "checkout" }';

export function checkLabels(value: unknown, at: string, problems: ConfigProblem[]): Record<string, string> | undefined {
  if (value === undefined) return {};
  if (!isTable(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    problems.push({ key: at, message: `must be a table of strings, ${EXAMPLE}` });
    return undefined;
  }
  const bad: string[] = [];
  const byKey = new Map<string, string>();
  for (const name of Object.keys(value)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__') || name === 'camera_id') {
      bad.push(`"${name}" is not a usable label name: use letters, digits and "_", not starting with a digit or "__", and not camera_id (it is a Prometheus label)`);
      continue;
    }
    const other = byKey.get(metadataKey(name));
    if (other !== undefined) bad.push(`"${other}" and "${name}" differ only in case or "_": object metadata keys are case-insensitive, rename one`);
    byKey.set(metadataKey(name), name);
  }
  for (const message of bad) problems.push({ key: at, message: `${message}; ${EXAMPLE}` });
  return bad.length > 0 ? undefined : { ...(value as Record<string, string>) };
}

/**
 * A camera's labels as S3 user metadata (`x-amz-meta-label-site`). Metadata keys travel as HTTP
 * header names, lowercased by S3, and proxies such as nginx drop headers with "_": hence
 * lowercase and "-". Values are percent-encoded, since a header carries ASCII only.
 */
export function labelMetadata(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).map(([name, value]) => [metadataKey(name), encodeURIComponent(value)]));
}

function metadataKey(name: string): string {
  return `label-${name.toLowerCase().replaceAll('_', '-')}`;
}

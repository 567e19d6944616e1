// A camera's labels (site, zone, …) reach two places: the camera_info metric, where each becomes a
// Prometheus label, and every stored segment's metadata, so footage found in the bucket says where
// it comes from. Their names must be valid in both.
import type { ConfigProblem } from '../errors.ts';
import { isTable } from './table.ts';

/** Prometheus label names; "__" is reserved for Prometheus itself, camera_id is ours. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const EXAMPLE = 'e.g. labels = { site = "store-12", zone = "checkout" }';
/**
 * S3 takes at most 2 KB of user metadata per object (keys and values, as sent); the segment's own
 * fields (camera, start, end, duration, size, sha256) take about 250 bytes. Labels over the rest
 * would make every upload of the camera fail, retried until the backlog cap drops its footage.
 */
export const LABELS_MAX_BYTES = 1536;

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
      bad.push(
        `"${name}" is not a usable label name: use letters, digits and "_", not starting with a digit or "__", and not camera_id (it is a Prometheus label)`,
      );
      continue;
    }
    const other = byKey.get(metadataKey(name));
    if (other !== undefined) bad.push(`"${other}" and "${name}" differ only in case or "_": object metadata keys are case-insensitive, rename one`);
    byKey.set(metadataKey(name), name);
  }
  const bytes = Object.entries(labelMetadata(value as Record<string, string>)).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (bytes > LABELS_MAX_BYTES) {
    bad.push(
      `take ${bytes} bytes as object metadata (names as label-<name>, values percent-encoded), over the ${LABELS_MAX_BYTES} they may: S3 limits an object's metadata to 2 KB and would refuse every segment of this camera; shorten them`,
    );
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

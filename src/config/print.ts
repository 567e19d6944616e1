// The effective configuration as a user would write it, secrets masked (for --check-config and logs).
import { maskUrl } from '../redact.ts';
import { keyValue } from './key-value.ts';
import { KEYS } from './schema.ts';
import type { Config } from './schema.ts';
import { formatDuration, formatSize } from './units.ts';

export function effectiveConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of KEYS) {
    const parts = spec.path.split('.');
    const leaf = parts.at(-1) as string;
    const value = keyValue(config, spec);
    let shown: unknown = value;
    if (spec.secret) shown = value === '' ? '' : '***';
    else if (spec.type.kind === 'duration') shown = formatDuration(value as number);
    else if (spec.type.kind === 'size') shown = formatSize(value as number);
    let node = out;
    for (const p of parts.slice(0, -1)) {
      node[p] ??= {};
      node = node[p] as Record<string, unknown>;
    }
    node[leaf] = shown;
  }
  out.cameras = config.cameras.map((c) => ({
    id: c.id,
    source_type: c.sourceType,
    url: maskUrl(c.url),
    ...(c.redis ? { redis: c.redis } : {}),
    labels: c.labels,
  }));
  return out;
}

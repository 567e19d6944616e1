// A key's value in the loaded Config, found by its TOML path (`s3.access_key_id` → config.s3.accessKeyId).
import type { Config, KeySpec } from './schema.ts';

const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export function keyValue(config: Config, spec: KeySpec): unknown {
  const parts = spec.path.split('.');
  const leaf = parts.pop() as string;
  let node: unknown = config;
  for (const p of parts) node = (node as Record<string, unknown>)[camel(p)];
  return (node as Record<string, unknown>)[camel(leaf) + (spec.type.kind === 'duration' ? 'Ms' : '')];
}

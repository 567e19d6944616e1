// Configuration files for tests of loading: written to a temp dir, loaded, their problems listed.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Env } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';

export const CREDS: Env = { S3_ACCESS_KEY_ID: 'AKTEST', S3_SECRET_ACCESS_KEY: 'sup3r-secret-value' };
export const configDir = mkdtempSync(join(tmpdir(), 'config-test-'));
let n = 0;

export function file(text: string): string {
  const path = join(configDir, `c${n++}.toml`);
  writeFileSync(path, text);
  return path;
}

/** Every problem of a configuration that must be rejected, as "key: message". */
export function problems(path: string | undefined, env: Env): string[] {
  try {
    loadConfig(path, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems.map((p) => `${p.key}: ${p.message}`);
  }
  assert.fail('expected the configuration to be rejected');
}

// Every secret a configuration holds, handed to the redactor before anything is logged: the values of
// the keys marked secret in the schema (a new secret key is covered by marking it) and the
// passwords in the cameras' URLs and the S3 endpoint, and the push cameras' tokens.
import type { Redactor } from '../redact.ts';
import { keyValue } from './key-value.ts';
import { KEYS, type Config } from './schema.ts';

export function registerSecrets(redactor: Redactor, config: Config): void {
  for (const spec of KEYS) {
    const value = spec.secret ? keyValue(config, spec) : undefined;
    if (typeof value === 'string') redactor.add(value);
  }
  redactor.addUrlPasswords([config.s3.endpoint, config.redis.url, config.mqtt.url, ...config.cameras.map((c) => c.url)]);
  redactor.add(...config.cameras.map((c) => c.pushToken));
}

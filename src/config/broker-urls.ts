// The event sinks' broker URLs, checked when the configuration is read (so --check-config and the
// start say what is wrong, exit 2) and again by each transport. Never repeats a password.
import { maskUrl } from '../redact.ts';

/** Why `url` cannot be the Redis sink's URL, or undefined when it can. Never repeats a password. */
export function redisUrlProblem(url: string): string | undefined {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    return `"${maskUrl(url)}" is not a URL; e.g. redis://redis:6379, or rediss://redis:6380 for TLS`;
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') return `"${maskUrl(url)}" is not a redis:// or rediss:// URL; e.g. redis://redis:6379`;
  return undefined;
}

/** Why `url` cannot be the MQTT sink's URL, or undefined when it can. Never repeats a password. */
export function mqttUrlProblem(url: string): string | undefined {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    return `"${maskUrl(url)}" is not a URL; e.g. mqtt://broker:1883, or mqtts://broker:8883 for TLS`;
  }
  if (!['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(protocol))
    return `"${maskUrl(url)}" is not an mqtt://, mqtts://, ws:// or wss:// URL; e.g. mqtt://broker:1883`;
  return undefined;
}

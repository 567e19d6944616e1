// The MQTT sink's broker connection (MQTT.js), driven by the queued sink's loop (queued-sink.ts).
// Topics under the prefix: `{camera_id}/events/{type}` (each envelope, not retained),
// `{camera_id}/state` (the camera's current state, retained: a subscriber that arrives late gets it
// at once; an empty retained payload clears it when the camera is removed) and `available`
// (`online` retained once connected, `offline` retained by the last will when the broker loses us,
// or by us at an orderly stop). MQTT.js's own reconnecting and offline queue are off: a fresh client
// per connection, publishing only while connected, so the loop and its bounded outbox are the one
// place that waits and retries. The till's triggers ride the same connection (mqtt-triggers.ts).
import { hostname } from 'node:os';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Config } from '../config/schema.ts';
import { mqttUrlProblem } from '../config/broker-urls.ts';
import { ConfigError, errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { CameraState } from './camera-states.ts';
import type { AnyEnvelope } from './event-types.ts';
import type { SinkTransport } from './queued-sink.ts';

/** Topics to subscribe to on every connection, and who reads what arrives there. */
export interface MqttInbound {
  topics: string[];
  /** Called for every message; must not throw (it is the client's event handler). */
  onMessage(topic: string, payload: Buffer): void;
}

export interface MqttTransportDeps {
  mqtt: Config['mqtt'];
  log: Logger;
  inbound?: MqttInbound;
  /** A publish the broker has not acknowledged by then fails, and the loop reconnects. */
  publishTimeoutMs?: number;
}

const CONNECT_TIMEOUT_MS = 10_000;
const PUBLISH_TIMEOUT_MS = 10_000;
/** At close, how long the goodbye (`offline`, DISCONNECT) may take before the socket is just closed. */
const GOODBYE_MS = 1000;
/** Seconds between PINGs; a broker silent for 1.5 × this is taken as lost (a pulled cable sends no FIN). */
const KEEPALIVE_S = 30;

export class MqttTransport implements SinkTransport {
  readonly #deps: MqttTransportDeps;
  readonly #qos: 0 | 1 | 2;
  readonly #available: string;
  #client: MqttClient | undefined;
  #lost: Promise<unknown> = Promise.resolve();
  /** Each camera's state as last published: an unchanged state is not sent again on this connection. */
  #published = new Map<string, string>();

  constructor(deps: MqttTransportDeps) {
    const problem = mqttUrlProblem(deps.mqtt.url);
    if (problem !== undefined) throw new ConfigError([{ key: 'mqtt.url (MQTT_URL)', message: problem }]);
    this.#deps = deps;
    this.#qos = deps.mqtt.qos as 0 | 1 | 2;
    this.#available = `${deps.mqtt.topicPrefix}/available`;
  }

  async connect(states: CameraState[], signal: AbortSignal): Promise<void> {
    const client = await this.#open(signal);
    const { inbound, log } = this.#deps;
    if (inbound && inbound.topics.length > 0) {
      const grants = await this.#timed(client.subscribeAsync(inbound.topics, { qos: this.#qos }), 'subscribe');
      const refused = grants.filter((g) => g.qos === 128).map((g) => g.topic);
      if (refused.length > 0) log.warn({ sink: 'mqtt', topics: refused }, 'the broker refused the trigger subscription; check its ACL');
    }
    await this.#send(client, this.#available, 'online', true);
    // cameras whose state this process published and that are gone now: their camera.removed may
    // have been dropped from a full outbox while the broker was away, so their state is cleared here
    const gone = [...this.#published.keys()].filter((id) => !states.some((s) => s.camera_id === id));
    this.#published = new Map();
    for (const id of gone) await this.#sendState(client, id, undefined);
    for (const s of states) await this.#sendState(client, s.camera_id, s);
  }

  async publish(e: AnyEnvelope, state: CameraState | undefined): Promise<void> {
    const client = this.#client;
    if (!client?.connected) throw new Error('not connected to the MQTT broker');
    await this.#send(client, `${this.#deps.mqtt.topicPrefix}/${e.camera_id}/events/${e.type}`, JSON.stringify(e), false);
    await this.#sendState(client, e.camera_id, state);
  }

  lost(): Promise<unknown> {
    return this.#lost;
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    try {
      if (client.connected) {
        await within(client.publishAsync(this.#available, 'offline', { qos: this.#qos, retain: true }), GOODBYE_MS);
        await within(client.endAsync(), GOODBYE_MS);
      }
    } catch {
      // the broker went away during the goodbye: its last will says offline for us
    } finally {
      client.end(true);
    }
  }

  /** A fresh client, connected; rejects with why it could not connect. */
  #open(signal: AbortSignal): Promise<MqttClient> {
    const { mqtt, log } = this.#deps;
    const url = brokerUrl(mqtt.url);
    const options: IClientOptions = {
      clientId: mqtt.clientId || `camera-recorder-${hostname()}`,
      reconnectPeriod: 0,
      queueQoSZero: false,
      connectTimeout: CONNECT_TIMEOUT_MS,
      keepalive: KEEPALIVE_S,
      clean: true,
      will: { topic: this.#available, payload: Buffer.from('offline'), qos: this.#qos, retain: true },
    };
    const username = mqtt.username || decoded(url.username);
    const password = mqtt.password || decoded(url.password);
    if (username !== '') options.username = username;
    if (password !== '') options.password = password;
    url.username = '';
    url.password = ''; // the credentials go in the options only, so the URL MQTT.js keeps holds none
    const client = connect(url.toString(), options);
    this.#client = client;
    // An 'error' without a listener would throw out of the client; every one is handled here or below.
    client.on('error', (err) => log.debug({ sink: 'mqtt', err: errorMessage(err) }, 'mqtt client error'));
    if (this.#deps.inbound) {
      const inbound = this.#deps.inbound;
      client.on('message', (topic, payload) => inbound.onMessage(topic, payload));
    }
    return new Promise((resolve, reject) => {
      const fail = (err: unknown): void => {
        cleanup();
        reject(err instanceof Error ? err : new Error(String(err)));
      };
      const onClose = (): void => fail(new Error(`connection to the MQTT broker at ${url.host} closed`));
      const onAbort = (): void => fail(new Error('stopping'));
      const onConnect = (): void => {
        cleanup();
        this.#lost = new Promise<void>((lost) => {
          client.once('close', () => lost());
          client.once('offline', () => lost());
          client.once('error', () => lost());
        });
        resolve(client);
      };
      const cleanup = (): void => {
        client.off('connect', onConnect);
        client.off('error', fail);
        client.off('close', onClose);
        signal.removeEventListener('abort', onAbort);
      };
      client.once('connect', onConnect);
      client.once('error', fail);
      client.once('close', onClose);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
    });
  }

  async #sendState(client: MqttClient, cameraId: string, state: CameraState | undefined): Promise<void> {
    const json = state === undefined ? '' : JSON.stringify(state);
    if (this.#published.get(cameraId) === json) return;
    await this.#send(client, `${this.#deps.mqtt.topicPrefix}/${cameraId}/state`, json, true);
    if (state === undefined) this.#published.delete(cameraId);
    else this.#published.set(cameraId, json);
  }

  #send(client: MqttClient, topic: string, payload: string, retain: boolean): Promise<unknown> {
    return this.#timed(client.publishAsync(topic, payload, { qos: this.#qos, retain }), `publish to ${topic}`);
  }

  #timed<T>(p: Promise<T>, what: string): Promise<T> {
    const ms = this.#deps.publishTimeoutMs ?? PUBLISH_TIMEOUT_MS;
    return within(p, ms).catch((err: unknown) => {
      throw err instanceof TimedOut ? new Error(`${what}: the MQTT broker did not acknowledge within ${ms} ms`) : err;
    });
  }
}

class TimedOut extends Error {}

const SCHEMES = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

/** A URL's user or password as written: percent-decoded, or as it is when it is not valid encoding ("100%"). */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** mqtt.url as a URL, or an error that says how to write it (and never echoes it: it may hold a password). */
function brokerUrl(value: string): URL {
  const expected = 'expected mqtt://host:1883, or mqtts://host:8883 for TLS';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`mqtt.url is not a URL; ${expected}`);
  }
  if (!SCHEMES.includes(url.protocol) || url.hostname === '') throw new Error(`mqtt.url has scheme "${url.protocol}" or no host; ${expected}`);
  return url;
}

/** `p`, or a TimedOut rejection after `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut()), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

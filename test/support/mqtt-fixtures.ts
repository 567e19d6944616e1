// For tests of the MQTT sink and triggers: the app's event stream made from environment settings
// (as the CLI makes it), and an MQTT.js client that records every message it receives, in order.
import { createSinkMetrics } from '../../src/events/sink-metrics.ts';
import { randomUUID } from 'node:crypto';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { Registry } from 'prom-client';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createEventStream } from '../../src/events/event-stream.ts';
import type { AcceptTrigger } from '../../src/events/mqtt-triggers.ts';
import { lineLogger } from './line-logger.ts';
import { until } from './until.ts';

/** The event stream with the MQTT sink on, a fresh topic prefix (and client id), fast reconnects; its log lines kept. */
export function mqttStream(env: Record<string, string>, acceptTrigger?: AcceptTrigger) {
  const prefix = `test-${randomUUID().slice(0, 8)}`;
  const config = loadConfig(
    undefined,
    {
      STORAGE: 'filesystem',
      FS_ROOT: '/nonexistent',
      MQTT_TOPIC_PREFIX: prefix,
      MQTT_CLIENT_ID: prefix,
      EVENT_RECONNECT_INITIAL: '100ms',
      EVENT_RECONNECT_MAX: '1s',
      ...env,
    },
    { requireCameras: false },
  );
  const { log, lines } = lineLogger('debug');
  const registry = new Registry();
  const stream = createEventStream({ config, log, clock: systemClock, metrics: createSinkMetrics(registry), ...(acceptTrigger && { acceptTrigger }) });
  const metric = async (name: string, labels: Record<string, string>): Promise<number | undefined> => {
    const m = registry.getSingleMetric(name);
    const values = m ? (await m.get()).values : [];
    return values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
  };
  return { stream, prefix, lines, metric, config, sinkUp: async () => (await metric('camera_event_sink_up', { sink: 'mqtt' })) === 1 };
}

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

/** A subscriber (or a till): every message received, in order. */
export class Watcher {
  readonly received: Received[] = [];
  readonly client: MqttClient;

  private constructor(client: MqttClient) {
    this.client = client;
    client.on('message', (topic, payload, packet) => this.received.push({ topic, payload: payload.toString(), retain: packet.retain }));
  }

  static async connect(url: string, options: IClientOptions = {}): Promise<Watcher> {
    return new Watcher(await connectAsync(url, { reconnectPeriod: 0, ...options }));
  }

  /**
   * Subscribes, then waits for a marker it publishes itself: the broker sends a subscription's
   * retained messages before it handles the client's next publish, so once the marker is back,
   * every retained message is in `received`.
   */
  async subscribe(topic: string, markerTopic: string): Promise<void> {
    await this.client.subscribeAsync([topic, markerTopic], { qos: 1 });
    const marker = randomUUID();
    await this.client.publishAsync(markerTopic, marker, { qos: 1 });
    await until('the marker back', () => this.received.some((m) => m.topic === markerTopic && m.payload === marker));
  }

  on(topic: string): Received[] {
    return this.received.filter((m) => m.topic === topic);
  }

  /** Waits until what was received satisfies `probe`. */
  async waitFor(what: string, probe: (r: Received[]) => boolean): Promise<void> {
    await until(what, () => probe(this.received), { timeoutMs: 60_000 });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

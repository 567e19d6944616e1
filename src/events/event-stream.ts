// The event stream as the app holds it: the bus, each camera's state, and the sinks the config
// turns on. Components get `bus.emitter`; the sinks listen. start() before the cameras, so their
// first events are published; stop() after the uploads, so the last segment.uploaded is queued,
// with a short, bounded flush (a broker that is down must not hold the shutdown).
import type { Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { CameraStates } from './camera-states.ts';
import { EventBus } from './event-bus.ts';
import { type AcceptTrigger, MqttTriggers } from './mqtt-triggers.ts';
import { MqttTransport } from './mqtt-transport.ts';
import { QueuedSink } from './queued-sink.ts';
import { RedisTransport } from './redis-transport.ts';
import type { SinkMetrics } from './sink-metrics.ts';

export interface EventStreamDeps {
  config: Config;
  log: Logger;
  clock: Clock;
  /** The sinks' series, made with the service's others (metrics.ts). */
  metrics: SinkMetrics;
  /** Where the till's triggers over MQTT go (mqtt.triggers); without it none are taken. */
  acceptTrigger?: AcceptTrigger;
}

/** Longest wait at shutdown for the sinks to publish what is queued. */
const FLUSH_MAX_MS = 2000;
/** Room in a trigger's payload for the fields beside its metadata. */
const TRIGGER_FIELDS_BYTES = 4096;

export function createEventStream({ config, log, clock, metrics, acceptTrigger }: EventStreamDeps) {
  const sinkLog = log.child({ component: 'event-stream' });
  const bus = new EventBus({ log: sinkLog, now: () => clock.now() });
  const states = new CameraStates();
  bus.subscribe((e) => states.apply(e)); // first: a sink publishing an event finds the state it made
  const sinkDeps = {
    states,
    metrics,
    clock,
    log: sinkLog,
    outboxCapacity: config.eventStream.outboxSize,
    backoff: { initialMs: config.eventStream.reconnectInitialMs, maxMs: config.eventStream.reconnectMaxMs },
  };
  const sinks: QueuedSink[] = [];
  // Each broker sink the config turns on is made here, from sinkDeps and its transport.
  if (config.redis.url !== '') {
    const transport = new RedisTransport({
      url: config.redis.url,
      password: config.redis.password,
      channelPrefix: config.redis.channelPrefix,
      stateKeyPrefix: config.redis.stateKeyPrefix,
    });
    sinks.push(new QueuedSink({ name: 'redis', transport, ...sinkDeps }));
  }
  if (config.mqtt.url !== '') {
    const triggers =
      config.mqtt.triggers && acceptTrigger
        ? new MqttTriggers({
            topicPrefix: config.mqtt.topicPrefix,
            accept: acceptTrigger,
            log: sinkLog,
            counter: metrics.triggers,
            maxPayloadBytes: config.events.metadataMaxBytes + TRIGGER_FIELDS_BYTES,
          })
        : undefined;
    const transport = new MqttTransport({ mqtt: config.mqtt, log: sinkLog, inbound: triggers });
    sinks.push(new QueuedSink({ ...sinkDeps, name: 'mqtt', transport }));
  }
  for (const sink of sinks) bus.subscribe(sink.deliver);

  return {
    bus,
    states,
    metrics,
    sinks,
    emit: bus.emitter,
    start(): void {
      for (const sink of sinks) sink.start();
      if (sinks.length > 0) sinkLog.info({ sinks: sinks.map((s) => s.name) }, 'publishing events');
    },
    async stop(): Promise<void> {
      const deadline = clock.now() + FLUSH_MAX_MS;
      while (sinks.some((s) => s.up && s.queued > 0) && clock.now() < deadline) await clock.sleep(20);
      await Promise.all(sinks.map((s) => s.stop()));
    },
  };
}

export type EventStream = ReturnType<typeof createEventStream>;

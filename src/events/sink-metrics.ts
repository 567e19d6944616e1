// The event sinks' series, one label `sink` (redis, mqtt, websocket).
import { Counter, Gauge, type Registry } from 'prom-client';

export function createSinkMetrics(registry: Registry) {
  const registers = [registry];
  const sink = ['sink'] as const;
  return {
    published: new Counter({
      name: 'camera_events_published_total',
      help: 'Event envelopes a sink handed to its broker (or its WebSocket clients).',
      labelNames: sink,
      registers,
    }),
    dropped: new Counter({
      name: 'camera_events_dropped_total',
      help: 'Event envelopes a sink dropped: its outbox was full while the broker was down or slow (the oldest go first). Recording never waits for a sink.',
      labelNames: sink,
      registers,
    }),
    up: new Gauge({
      name: 'camera_event_sink_up',
      help: '1 while the sink is connected to its broker, else 0.',
      labelNames: sink,
      registers,
    }),
    triggers: new Counter({
      name: 'camera_event_triggers_total',
      help: 'Event triggers received over MQTT, by result: accepted, duplicate (an event_id seen before), invalid (refused; the log says why), failed (could not be stored; the till must send it again).',
      labelNames: ['result'] as const,
      registers,
    }),
    queued: new Gauge({
      name: 'camera_event_sink_queued_events',
      help: 'Event envelopes waiting in the sink’s outbox.',
      labelNames: sink,
      registers,
    }),
    websocketClients: new Gauge({
      name: 'camera_event_websocket_clients',
      help: 'WebSocket clients connected to /api/ws (at most event_stream.websocket_max_clients).',
      registers,
    }),
  };
}

export type SinkMetrics = ReturnType<typeof createSinkMetrics>;

// The till's triggers over MQTT: a message on `{prefix}/{camera_id}/trigger` or `{prefix}/trigger`
// holds the body of POST /api/events, and is handed to the same intake as the HTTP route. A bad
// message is counted, logged with the reason and dropped: nothing a till sends can stop the
// recorder, and no answer goes back (MQTT has none), so the log and the counter are the answer.
// The payload is never logged: it may be large, and it is the integrator's data.
import type { Counter } from 'prom-client';
import { ClipError } from '../clips/clip-error.ts';
import { errorMessage } from '../errors.ts';
import { HttpError } from '../http/request-input.ts';
import type { Logger } from '../logger.ts';
import type { MqttInbound } from './mqtt-transport.ts';

/** Takes an event request (the POST /api/events body); throws ClipError (or a 4xx HttpError) for a bad one. */
export type AcceptTrigger = (body: unknown) => Promise<{ id: string; duplicate: boolean }>;

export type TriggerResult = 'accepted' | 'duplicate' | 'invalid' | 'failed';

export interface MqttTriggersDeps {
  topicPrefix: string;
  accept: AcceptTrigger;
  log: Logger;
  /** camera_event_triggers_total{result} (sink-metrics.ts). */
  counter: Counter<'result'>;
  /** Larger payloads are refused unread (the metadata limit and room for the other fields). */
  maxPayloadBytes: number;
}

/** Topics are logged up to this length: a till may publish under any topic the prefix allows. */
const TOPIC_SHOWN = 200;

export class MqttTriggers implements MqttInbound {
  readonly topics: string[];
  readonly #deps: MqttTriggersDeps;
  readonly #counter: Counter<'result'>;

  constructor(deps: MqttTriggersDeps) {
    this.#deps = deps;
    this.topics = [`${deps.topicPrefix}/+/trigger`, `${deps.topicPrefix}/trigger`];
    this.#counter = deps.counter;
    for (const result of ['accepted', 'duplicate', 'invalid', 'failed'] satisfies TriggerResult[]) this.#counter.inc({ result }, 0);
  }

  readonly onMessage = (topic: string, payload: Buffer): void => {
    void this.#handle(topic, payload); // never rejects: every failure ends in the counter and the log
  };

  async #handle(topic: string, payload: Buffer): Promise<void> {
    const { log } = this.#deps;
    const shown = topic.slice(0, TOPIC_SHOWN);
    let body: unknown;
    try {
      body = this.#body(topic, payload);
    } catch (err) {
      this.#count('invalid');
      log.warn({ topic: shown, bytes: payload.length, reason: errorMessage(err) }, 'mqtt trigger refused');
      return;
    }
    try {
      const { id, duplicate } = await this.#deps.accept(body);
      this.#count(duplicate ? 'duplicate' : 'accepted');
      if (duplicate) log.info({ topic: shown, event: id }, 'mqtt trigger repeats an event already accepted');
    } catch (err) {
      const invalid = err instanceof ClipError || (err instanceof HttpError && err.status < 500);
      this.#count(invalid ? 'invalid' : 'failed');
      log.warn({ topic: shown, bytes: payload.length, reason: errorMessage(err) }, invalid ? 'mqtt trigger refused' : 'mqtt trigger not stored');
    }
  }

  /** The request body a message carries, its camera taken from the topic when the topic names one. */
  #body(topic: string, payload: Buffer): unknown {
    const { topicPrefix, maxPayloadBytes } = this.#deps;
    if (payload.length > maxPayloadBytes) throw new Error(`the payload is ${payload.length} bytes; the limit is ${maxPayloadBytes}`);
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      // not the parser's message: it quotes the payload
      throw new Error('the payload is not JSON; send the body of POST /api/events, e.g. {"metadata":{"receipt":"4711"}}');
    }
    const rest = topic.slice(topicPrefix.length + 1);
    if (rest === 'trigger') return body;
    const camera = rest.slice(0, -'/trigger'.length);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return body; // the intake says what is wrong
    const given = (body as { camera?: unknown }).camera;
    if (given === undefined) return { ...body, camera };
    if (given !== camera)
      throw new Error(
        `the body's camera ${JSON.stringify(String(given).slice(0, 64))} differs from the topic's "${camera.slice(0, 64)}"; leave camera out of the body`,
      );
    return body;
  }

  #count(result: TriggerResult): void {
    this.#counter.inc({ result });
  }
}

// The published event contract (docs/events/*.schema.json) as test assertions: every envelope and
// state a test sees from Redis, MQTT or the WebSocket goes through these.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const DOCS = join(import.meta.dirname, '..', '..', 'docs', 'events');
const ajv = addFormats(new Ajv({ allErrors: true, strict: true, strictRequired: false }));
const envelope = ajv.compile(JSON.parse(readFileSync(join(DOCS, 'envelope.v1.schema.json'), 'utf8')));
const state = ajv.compile(JSON.parse(readFileSync(join(DOCS, 'camera-state.v1.schema.json'), 'utf8')));

/** Fails with every schema error, naming the message, unless `e` is a valid v1 envelope. */
export function assertEnvelope(e: unknown): void {
  assert.ok(envelope(e), `not a valid event envelope: ${ajv.errorsText(envelope.errors)}\n${JSON.stringify(e)}`);
}

/** Fails unless `s` is a valid v1 camera state. */
export function assertCameraState(s: unknown): void {
  assert.ok(state(s), `not a valid camera state: ${ajv.errorsText(state.errors)}\n${JSON.stringify(s)}`);
}

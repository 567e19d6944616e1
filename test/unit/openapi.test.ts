// The OpenAPI document is built from the routes themselves; this checks that it stays whole:
// every route the server registers is in it with a summary and its answers, and every example it
// shows validates against the schema it illustrates.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { Registry } from 'prom-client';
import { systemClock } from '../../src/clock.ts';
import { EventStore } from '../../src/clips/event-store.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/logger.ts';
import { Redactor } from '../../src/redact.ts';
import { buildServer } from '../../src/http/server.ts';
import { FakeCameraService } from '../support/fake-camera-service.ts';
import { MemoryStore } from '../support/memory-store.ts';
import { Writable } from 'node:stream';

interface Operation {
  summary?: string;
  security?: unknown;
  responses?: Record<string, unknown>;
}

async function documented(): Promise<{
  routes: { method: string; url: string }[];
  doc: { openapi: string; paths: Record<string, Record<string, Operation>> };
}> {
  const config = loadConfig(undefined, {
    STORAGE: 'filesystem',
    FILESYSTEM_ROOT: '/nonexistent',
    TEMP_DIR: '/nonexistent',
    CAMERA1_RTSP_URL: 'rtsp://192.0.2.1/s',
    API_TOKEN: 'openapi-token-1234',
  });
  const log = createLogger('warn', new Redactor(), new Writable({ write: (_c, _e, done) => done() }));
  const routes: { method: string; url: string }[] = [];
  const app = await buildServer(
    {
      registry: new Registry(),
      redactor: new Redactor(),
      log,
      views: { health: () => ({}), notReadyReasons: () => [] },
      api: {
        config,
        store: new MemoryStore(),
        events: new EventStore('/nonexistent'),
        intake: { accept: () => Promise.reject(new Error('no events here')) },
        clock: systemClock,
        log,
      },
      cameras: new FakeCameraService(),
      ingest: { cameras: { pushTarget: () => undefined }, apiToken: 'openapi-token-1234', maxFrameBytes: 2 ** 21, clock: systemClock },
    },
    (r) => {
      for (const method of [r.method].flat()) routes.push({ method, url: r.url });
    },
  );
  const res = await app.inject({ method: 'GET', url: '/api/openapi.json' });
  assert.equal(res.statusCode, 200, res.body);
  await app.close();
  return { routes, doc: JSON.parse(res.body) };
}

/**
 * Every example in the document beside the schema it illustrates: a parameter's or a media type's
 * `example` or `examples` map (where @fastify/swagger moves the schemas' examples), and any
 * `examples` list left inside a schema.
 */
function examplesIn(node: unknown, at: string, out: { at: string; schema: object; example: unknown }[] = []): typeof out {
  if (typeof node !== 'object' || node === null) return out;
  const n = node as Record<string, unknown>;
  if (typeof n.schema === 'object' && n.schema !== null) {
    if ('example' in n) out.push({ at, schema: n.schema, example: n.example });
    if (typeof n.examples === 'object' && n.examples !== null && !Array.isArray(n.examples)) {
      for (const [name, e] of Object.entries(n.examples))
        out.push({ at: `${at}/examples/${name}`, schema: n.schema, example: (e as { value: unknown }).value });
    }
  }
  if (Array.isArray(n.examples) && ('type' in n || 'properties' in n || 'anyOf' in n || 'const' in n)) {
    for (const example of n.examples) out.push({ at, schema: n, example });
  }
  for (const [k, v] of Object.entries(n)) examplesIn(v, `${at}/${k}`, out);
  return out;
}

test('every registered route is in the OpenAPI document, with a summary and its responses', async () => {
  const { routes, doc } = await documented();
  assert.equal(doc.openapi, '3.1.0');
  // HEAD routes Fastify adds beside each GET, and the /docs page's own files, are not API operations.
  const api = routes.filter((r) => r.method !== 'HEAD' && r.url !== '/docs' && !r.url.startsWith('/docs/'));
  assert.ok(api.length >= 12, `${api.length} routes`);
  for (const { method, url } of api) {
    const path = url.replace(/:(\w+)/g, '{$1}');
    const op = doc.paths[path]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${url} is not in the document`);
    assert.ok(op.summary && op.summary.length > 10, `${method} ${url} has no summary`);
    assert.ok(op.responses && Object.keys(op.responses).length > 0, `${method} ${url} has no responses`);
    const guarded = url.startsWith('/api/') && url !== '/api/openapi.json';
    assert.equal(JSON.stringify(op.security ?? null), guarded ? '[{"bearer":[]}]' : 'null', `${method} ${url}: the token is needed exactly under /api`);
  }
  for (const path of [
    '/api/cameras',
    '/api/cameras/{id}',
    '/api/cameras/{camera}/segments',
    '/api/cameras/{camera}/clip',
    '/api/events',
    '/api/events/{id}',
    '/api/ingest/push/{camera_id}',
    '/health',
    '/ready',
    '/metrics',
  ]) {
    assert.ok(doc.paths[path], `${path} documented`);
  }
});

test('every example in the OpenAPI document validates against its schema, and every /api operation has one', async () => {
  const { doc } = await documented();
  const ajv = new Ajv({ strict: false, validateFormats: false });
  const found = examplesIn(doc.paths, '#/paths');
  assert.ok(found.length >= 20, `${found.length} examples`);
  for (const { at, schema, example } of found) {
    const ok = ajv.validate(schema, example);
    assert.ok(ok, `${at}: ${JSON.stringify(example)} → ${ajv.errorsText()}`);
  }
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const [code, answer] of Object.entries(op.responses ?? {})) {
        const json = (answer as { content?: Record<string, unknown> }).content?.['application/json'];
        if (json) assert.ok(examplesIn(json, '').length > 0, `${method} ${path} ${code} has no example`);
        assert.notEqual((answer as { description?: string }).description, 'Default Response', `${method} ${path} ${code} is not described`);
      }
    }
  }
});

// /api: clips, segment listings with presigned URLs, and evidence-clip events. Bearer token from
// API_TOKEN; without one the routes are off and say so. Errors are JSON: { error, field? }.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import PQueue from 'p-queue';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '../clock.ts';
import { ClipError } from '../clips/clip-error.ts';
import type { EventRecord, EventStore } from '../clips/event-store.ts';
import { parseEventRequest } from '../clips/event-request.ts';
import type { EventWorker } from '../clips/event-worker.ts';
import { exportClip } from '../clips/export-clip.ts';
import { findSegments } from '../clips/find-segments.ts';
import { parseRange } from '../clips/instant.ts';
import type { Config } from '../config/schema.ts';
import { StoreError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ObjectStore } from '../storage/object-store.ts';

export interface ApiDeps {
  config: Config;
  store: ObjectStore;
  events: EventStore;
  worker: EventWorker;
  clock: Clock;
  log: Logger;
}

const MAX_BODY = 64 * 1024;
/** Clip exports run ffmpeg and use disk: a few at a time, so reviewers cannot starve the recorder. */
const EXPORTS_AT_ONCE = 2;
const EXPORTS_WAITING_MAX = 8;
const iso = (ms: number): string => new Date(ms).toISOString();

export class HttpError extends Error {
  readonly status: number;
  readonly field: string | undefined;
  constructor(status: number, message: string, field?: string) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

export class Api {
  #deps: ApiDeps;
  #cameras: Set<string>;
  #token: Buffer;
  #exports = new PQueue({ concurrency: EXPORTS_AT_ONCE });

  constructor(deps: ApiDeps) {
    this.#deps = deps;
    this.#cameras = new Set(deps.config.cameras.map((c) => c.id));
    this.#token = Buffer.from(deps.config.api.token);
  }

  /** Handles /api/*; every reply is JSON except a clip. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, json: (status: number, body: unknown) => void): Promise<void> {
    try {
      if (this.#token.length === 0) throw new HttpError(404, 'the /api routes are off: set API_TOKEN to turn them on');
      this.#authorize(req);
      await this.#route(req, res, url, json);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const e = toHttpError(err);
      if (e.status >= 500) this.#deps.log.error({ err, path: url.pathname }, 'api request failed');
      if (e.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="camera-recorder"');
      json(e.status, { error: e.message, ...(e.field ? { field: e.field } : {}) });
    }
  }

  #authorize(req: IncomingMessage): void {
    const m = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    const given = Buffer.from(m?.[1]?.trim() ?? '');
    if (!m || given.length !== this.#token.length || !timingSafeEqual(given, this.#token)) {
      throw new HttpError(401, 'missing or wrong bearer token: send Authorization: Bearer <API_TOKEN>');
    }
  }

  async #route(req: IncomingMessage, res: ServerResponse, url: URL, json: (status: number, body: unknown) => void): Promise<void> {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent); // ['api', ...]
    const method = req.method ?? 'GET';
    if (parts[1] === 'cameras' && parts.length === 4 && method === 'GET') {
      const camera = this.#camera(parts[2]!);
      const { fromMs, toMs } = parseRange(url.searchParams.get('from') ?? undefined, url.searchParams.get('to') ?? undefined, this.#deps.config.api.maxRangeMs);
      if (parts[3] === 'segments') return json(200, await this.#segments(camera, fromMs, toMs));
      if (parts[3] === 'clip') return this.#clip(res, camera, fromMs, toMs, req);
    }
    if (parts[1] === 'events' && parts.length === 2 && method === 'POST') return json(202, await this.#createEvent(req));
    if (parts[1] === 'events' && parts.length === 3 && method === 'GET') {
      const rec = this.#deps.events.get(parts[2]!);
      if (!rec) throw new HttpError(404, `no event ${parts[2]!.slice(0, 64)}`, 'id');
      return json(200, rec);
    }
    throw new HttpError(404, `no route ${method} ${url.pathname}; see README "Finding and exporting footage"`);
  }

  #camera(id: string): string {
    if (!this.#cameras.has(id)) throw new HttpError(404, `unknown camera "${id.slice(0, 64)}"; configured: ${[...this.#cameras].join(', ')}`, 'camera');
    return id;
  }

  async #segments(camera: string, fromMs: number, toMs: number): Promise<unknown> {
    const { store, config } = this.#deps;
    const coverage = await findSegments(store, camera, fromMs, toMs);
    const expires = Math.round(config.api.presignExpiryMs / 1000);
    return {
      camera,
      from: iso(fromMs),
      to: iso(toMs),
      segments: await Promise.all(coverage.segments.map(async (s) => ({
        key: s.key,
        start: iso(s.startMs),
        end: iso(s.endMs),
        duration_seconds: (s.endMs - s.startMs) / 1000,
        size: s.size,
        url: (await store.presign(s.key, expires)) ?? null,
      }))),
      url_expires_in_seconds: expires,
      gaps: coverage.gaps.map((g) => ({ from: iso(g.fromMs), to: iso(g.toMs) })),
    };
  }

  async #clip(res: ServerResponse, camera: string, fromMs: number, toMs: number, req: IncomingMessage): Promise<void> {
    if (this.#exports.size >= EXPORTS_WAITING_MAX) {
      res.setHeader('Retry-After', '10');
      throw new HttpError(429, `${this.#exports.pending + this.#exports.size} clip exports are running or waiting; retry in a few seconds`);
    }
    await this.#exports.add(() => this.#exportClip(res, camera, fromMs, toMs, req));
  }

  async #exportClip(res: ServerResponse, camera: string, fromMs: number, toMs: number, req: IncomingMessage): Promise<void> {
    const { store, config } = this.#deps;
    const work = join(config.tempDir, '.clips');
    await mkdir(work, { recursive: true });
    const out = join(work, `${randomUUID()}.mp4`);
    const abort = new AbortController();
    req.once('close', () => abort.abort());
    try {
      const clip = await exportClip({ store, cameraId: camera, fromMs, toMs, outPath: out, workDir: work, ffmpegPath: config.recorder.ffmpegPath, ffprobePath: config.recorder.ffprobePath, signal: abort.signal });
      res.writeHead(200, {
        'Content-Type': 'video/mp4',
        'Content-Disposition': `attachment; filename="${camera}_${iso(clip.fromMs).replace(/[-:]/g, '').slice(0, 15)}.mp4"`,
        'X-Clip-From': iso(clip.fromMs),
        'X-Clip-To': iso(clip.toMs),
        'X-Clip-Gaps': JSON.stringify(clip.gaps.map((g) => ({ from: iso(g.fromMs), to: iso(g.toMs) }))),
      });
      await pipeline(createReadStream(out), res);
    } finally {
      await rm(out, { force: true });
    }
  }

  async #createEvent(req: IncomingMessage): Promise<unknown> {
    const { config, clock, events, worker, log } = this.#deps;
    const body = await readJson(req);
    const r = parseEventRequest(body, {
      cameras: this.#cameras,
      preSeconds: config.events.preSeconds,
      postSeconds: config.events.postSeconds,
      maxSeconds: config.events.maxSeconds,
      metadataMaxBytes: config.events.metadataMaxBytes,
      now: clock.now(),
    });
    const now = iso(clock.now());
    const rec: EventRecord = {
      id: randomUUID(),
      camera: r.camera,
      at: iso(r.atMs),
      pre_seconds: r.preSeconds,
      post_seconds: r.postSeconds,
      metadata: r.metadata,
      status: 'pending',
      created_at: now,
      updated_at: now,
    };
    await events.save(rec);
    log.info({ event: rec.id, camera: rec.camera, at: rec.at }, 'event accepted');
    worker.wake();
    return { id: rec.id, status: rec.status, camera: rec.camera, at: rec.at, pre_seconds: rec.pre_seconds, post_seconds: rec.post_seconds, status_url: `/api/events/${rec.id}` };
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'send the body as JSON with Content-Type: application/json', 'body');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `the body is over ${MAX_BODY} bytes`, 'body');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not valid JSON', 'body');
  }
}

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof ClipError) {
    const status = err.problem === 'no-footage' ? 404 : 400;
    return new HttpError(status, err.message, err.field);
  }
  if (err instanceof StoreError) return new HttpError(503, `the store is not answering: ${err.message}`);
  return new HttpError(500, 'internal error');
}

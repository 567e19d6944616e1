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
import { EventDiskError, type EventRecord, type EventStore } from '../clips/event-store.ts';
import { parseEventRequest } from '../clips/event-request.ts';
import type { EventWorker } from '../clips/event-worker.ts';
import { exportClip } from '../clips/export-clip.ts';
import { findSegments } from '../clips/find-segments.ts';
import { parseRange } from '../clips/instant.ts';
import type { Config } from '../config/schema.ts';
import { StoreError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { decodeComponent, HttpError, queryParam, readJson } from './request-input.ts';

export interface ApiDeps {
  config: Config;
  store: ObjectStore;
  events: EventStore;
  worker: EventWorker;
  clock: Clock;
  log: Logger;
}

/** Clip exports run ffmpeg and use disk: a few at a time, so reviewers cannot starve the recorder. */
const EXPORTS_AT_ONCE = 2;
const EXPORTS_WAITING_MAX = 8;
const iso = (ms: number): string => new Date(ms).toISOString();
/** What the third path part is, to name it when it cannot be decoded. */
const PATH_PARAM: Record<string, string> = { cameras: 'camera', events: 'id' };

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
      if (e.status === 500) this.#deps.log.error({ err, path: url.pathname }, 'api request failed');
      else if (e.status >= 500) this.#deps.log.warn({ err, path: url.pathname }, 'api request failed');
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
    const raw = url.pathname.split('/').filter(Boolean); // ['api', ...]
    const parts = raw.map((p, i) => decodeComponent(p, i === 2 ? PATH_PARAM[raw[1] ?? ''] ?? 'path' : 'path'));
    const method = req.method ?? 'GET';
    if (parts[1] === 'cameras' && parts.length === 4 && method === 'GET') {
      const camera = this.#camera(parts[2]!);
      const { fromMs, toMs } = parseRange(queryParam(url, 'from'), queryParam(url, 'to'), this.#deps.config.api.maxRangeMs);
      if (parts[3] === 'segments') return json(200, await this.#segments(camera, fromMs, toMs));
      if (parts[3] === 'clip') return this.#clip(res, camera, fromMs, toMs);
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

  async #clip(res: ServerResponse, camera: string, fromMs: number, toMs: number): Promise<void> {
    if (this.#exports.size >= EXPORTS_WAITING_MAX) {
      res.setHeader('Retry-After', '10');
      throw new HttpError(429, `${this.#exports.pending + this.#exports.size} clip exports are running or waiting; retry in a few seconds`);
    }
    // A client that goes away takes its export with it: out of the queue if it waits, its ffmpeg
    // killed and its files removed if it runs. Nobody else would ever read that clip.
    const waiting = new AbortController();
    const running = new AbortController();
    let started = false;
    const onClose = (): void => {
      if (!res.writableFinished) (started ? running : waiting).abort(new Error('the client closed the connection'));
    };
    res.once('close', onClose);
    if (this.#exports.pending >= EXPORTS_AT_ONCE) this.#deps.log.info({ camera, waiting: this.#exports.size + 1 }, 'clip export waiting for a free slot');
    try {
      await this.#exports.add(() => {
        started = true;
        return this.#exportClip(res, camera, fromMs, toMs, running.signal);
      }, { signal: waiting.signal });
    } catch (err) {
      if (!waiting.signal.aborted && !running.signal.aborted) throw err;
      this.#deps.log.info({ camera, from: iso(fromMs), to: iso(toMs), stage: started ? 'running' : 'queued' }, 'clip export cancelled: the client went away');
    } finally {
      res.off('close', onClose);
    }
  }

  async #exportClip(res: ServerResponse, camera: string, fromMs: number, toMs: number, signal: AbortSignal): Promise<void> {
    const { store, config } = this.#deps;
    const work = join(config.tempDir, '.clips');
    await mkdir(work, { recursive: true });
    const out = join(work, `${randomUUID()}.mp4`);
    try {
      const clip = await exportClip({ store, cameraId: camera, fromMs, toMs, outPath: out, workDir: work, ffmpegPath: config.recorder.ffmpegPath, ffprobePath: config.recorder.ffprobePath, signal });
      signal.throwIfAborted();
      res.writeHead(200, {
        'Content-Type': 'video/mp4',
        'Content-Disposition': `attachment; filename="${camera}_${iso(clip.fromMs).replace(/[-:]/g, '').slice(0, 15)}.mp4"`,
        'X-Clip-From': iso(clip.fromMs),
        'X-Clip-To': iso(clip.toMs),
        'X-Clip-Gaps': JSON.stringify(clip.gaps.map((g) => ({ from: iso(g.fromMs), to: iso(g.toMs) }))),
      });
      await pipeline(createReadStream(out), res, { signal });
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

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof ClipError) {
    const status = err.problem === 'no-footage' ? 404 : 400;
    return new HttpError(status, err.message, err.field);
  }
  if (err instanceof StoreError) return new HttpError(503, `the store is not answering: ${err.message}`);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new HttpError(507, 'the recorder\'s disk (TEMP_DIR) is full; retry once space is freed');
  if (err instanceof EventDiskError) {
    return err.full
      ? new HttpError(507, 'the recorder\'s disk (TEMP_DIR) is full; the event was not stored: retry once space is freed')
      : new HttpError(503, 'the recorder cannot write to its disk (TEMP_DIR); the event was not stored: retry later');
  }
  return new HttpError(500, 'internal error');
}

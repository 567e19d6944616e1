// Stored footage of one camera: the segment listing with presigned URLs, and a clip cut to a range.
// A camera that was removed keeps its footage in the bucket, so the id only has to be current or
// have footage in the range asked for; anything else is a 404 naming the camera.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import PQueue from 'p-queue';
import { exportClip } from '../../clips/export-clip.ts';
import { type Coverage, findSegments } from '../../clips/find-segments.ts';
import { parseRange } from '../../clips/instant.ts';
import type { RouteDeps } from '../api.ts';
import { HttpError } from '../request-input.ts';
import { errors } from '../schemas/common.ts';
import { ClipBody, FootageParams, RangeQuery, SegmentListing } from '../schemas/footage.ts';

/** Clip exports run ffmpeg and use disk: a few at a time, so reviewers cannot starve the recorder. */
const EXPORTS_AT_ONCE = 2;
const EXPORTS_WAITING_MAX = 8;
const iso = (ms: number): string => new Date(ms).toISOString();

export function footageRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { store, config } = deps;
  const exports = new PQueue({ concurrency: EXPORTS_AT_ONCE });
  const tags = ['footage'];

  /** The coverage of a camera that is not current, or a 404 when the store has none of it in the range. */
  async function pastCamera(camera: string, fromMs: number, toMs: number): Promise<Coverage | undefined> {
    const current = deps.currentCameras();
    if (current.includes(camera)) return undefined;
    const coverage = await findSegments(store, camera, fromMs, toMs);
    if (coverage.segments.length > 0) return coverage;
    throw new HttpError(
      404,
      `unknown camera "${camera}" and no footage of it between ${iso(fromMs)} and ${iso(toMs)}; current: ${current.join(', ')}`,
      'camera',
    );
  }

  api.get(
    '/cameras/:camera/segments',
    {
      schema: {
        summary: "List a camera's stored segments in a range, with presigned URLs and the gaps",
        tags,
        params: FootageParams,
        querystring: RangeQuery,
        response: { 200: SegmentListing, ...errors(400, 404, 503) },
      },
    },
    async (req) => {
      const { camera } = req.params;
      const { fromMs, toMs } = parseRange(req.query.from, req.query.to, config.api.maxRangeMs);
      const coverage = (await pastCamera(camera, fromMs, toMs)) ?? (await findSegments(store, camera, fromMs, toMs));
      const expires = Math.round(config.api.presignExpiryMs / 1000);
      return {
        camera,
        from: iso(fromMs),
        to: iso(toMs),
        segments: await Promise.all(
          coverage.segments.map(async (s) => ({
            key: s.key,
            start: iso(s.startMs),
            end: iso(s.endMs),
            duration_seconds: (s.endMs - s.startMs) / 1000,
            size: s.size,
            url: (await store.presign(s.key, expires)) ?? null,
          })),
        ),
        url_expires_in_seconds: expires,
        gaps: coverage.gaps.map((g) => ({ from: iso(g.fromMs), to: iso(g.toMs) })),
      };
    },
  );

  api.get(
    '/cameras/:camera/clip',
    {
      schema: {
        summary: "Cut one MP4 clip of a camera's footage in a range (streamed; real bounds in X-Clip-* headers)",
        tags,
        params: FootageParams,
        querystring: RangeQuery,
        produces: ['video/mp4'],
        response: { 200: ClipBody, ...errors(400, 404, 429, 503, 507) },
      },
    },
    async (req, reply) => {
      const { camera } = req.params;
      const { fromMs, toMs } = parseRange(req.query.from, req.query.to, config.api.maxRangeMs);
      await pastCamera(camera, fromMs, toMs);
      if (exports.size >= EXPORTS_WAITING_MAX) {
        throw new HttpError(429, `${exports.pending + exports.size} clip exports are running or waiting; retry in a few seconds`, undefined, {
          'Retry-After': '10',
        });
      }
      // A client that goes away takes its export with it: out of the queue if it waits, its ffmpeg
      // killed and its files removed if it runs. Nobody else would ever read that clip.
      const res = reply.raw;
      const waiting = new AbortController();
      const running = new AbortController();
      let started = false;
      const onClose = (): void => {
        if (!res.writableFinished) (started ? running : waiting).abort(new Error('the client closed the connection'));
      };
      res.once('close', onClose);
      if (exports.pending >= EXPORTS_AT_ONCE) req.log.info({ camera, waiting: exports.size + 1 }, 'clip export waiting for a free slot');
      try {
        await exports.add(
          () => {
            started = true;
            return sendClip(reply, camera, fromMs, toMs, running.signal);
          },
          { signal: waiting.signal },
        );
        return reply;
      } catch (err) {
        if (!waiting.signal.aborted && !running.signal.aborted) throw err;
        req.log.info({ camera, from: iso(fromMs), to: iso(toMs), stage: started ? 'running' : 'queued' }, 'clip export cancelled: the client went away');
        reply.hijack(); // the connection is gone: nothing to answer
        return reply;
      } finally {
        res.off('close', onClose);
      }
    },
  );

  /** Exports the clip into TEMP_DIR/.clips and streams it; the file goes when the stream ends either way. */
  async function sendClip(reply: FastifyReply, camera: string, fromMs: number, toMs: number, signal: AbortSignal): Promise<FastifyReply> {
    const work = join(config.tempDir, '.clips');
    await mkdir(work, { recursive: true });
    const out = join(work, `${randomUUID()}.mp4`);
    try {
      const clip = await exportClip({
        store,
        cameraId: camera,
        fromMs,
        toMs,
        outPath: out,
        workDir: work,
        ffmpegPath: config.recorder.ffmpegPath,
        ffprobePath: config.recorder.ffprobePath,
        signal,
      });
      signal.throwIfAborted();
      const file = createReadStream(out);
      file.once('close', () => void rm(out, { force: true }));
      return reply
        .code(200)
        .headers({
          'Content-Type': 'video/mp4',
          'Content-Disposition': `attachment; filename="${camera}_${iso(clip.fromMs).replace(/[-:]/g, '').slice(0, 15)}.mp4"`,
          'X-Clip-From': iso(clip.fromMs),
          'X-Clip-To': iso(clip.toMs),
          'X-Clip-Gaps': JSON.stringify(clip.gaps.map((g) => ({ from: iso(g.fromMs), to: iso(g.toMs) }))),
        })
        .send(file);
    } catch (err) {
      await rm(out, { force: true });
      throw err;
    }
  }
}

// Every metric the service exports, on a Registry of its own. The first seven names and the
// camera_id label are a contract with existing dashboards and alerts: do not rename them.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { createArchiveMetrics } from './frames/archive-metrics.ts';
import { createVisionMetrics } from './frames/vision-metrics.ts';
import { createSinkMetrics } from './events/sink-metrics.ts';

/** Point-in-time values read at scrape time, so they can never drift from the truth. */
export interface MetricsViews {
  /** Per camera: segments waiting for upload (queued or in flight) and their bytes on disk. */
  backlog(): Map<string, { segments: number; bytes: number }>;
  /** Per camera: end time (ms) of the newest finished segment. */
  newestSegmentEnd(): Map<string, number>;
  /** Per camera: current recorder state. */
  recorderStates(): Map<string, string>;
  /** Whether the store answered its last health check, and when it last answered at all (ms). */
  store(): { up: boolean; lastSuccessMs: number | undefined };
  /** Per camera whose frames are analysed: when its newest analysed key frame was read (ms). */
  frameAges?(): Map<string, number>;
}

export const RECORDER_STATES = ['starting', 'recording', 'backoff', 'stopped'] as const;
/** Why a camera was not recorded (camera_recording_gap_seconds_total{reason}); see src/camera/recording-gaps.ts. */
export const GAP_REASONS = ['starting', 'camera_unreachable', 'stalled', 'disk_full', 'restart'] as const;
export type GapReason = (typeof GAP_REASONS)[number];
/** What became of a picture pushed to a push camera (camera_pushed_frames_total{result}). */
export const PUSH_RESULTS = ['taken', 'not_jpeg', 'too_large', 'unavailable'] as const;

export function createMetrics(registry: Registry = new Registry()) {
  // The event-loop lag monitor samples every 10 ms by default: ~0.3 % of a core on its own, more than
  // supervising 25 cameras. Every 100 ms still catches any stall worth alerting on.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  const reg = [registry];
  const camera = ['camera_id'] as const;
  let views: MetricsViews | undefined;

  const metrics = {
    registry,
    /** The frame analysis' series (vision-metrics.ts). */
    vision: createVisionMetrics(registry, () => views?.frameAges?.() ?? new Map()),
    /** The snapshot archive's counters (archive-metrics.ts). */
    archive: createArchiveMetrics(registry),
    /** The event sinks' series (events/sink-metrics.ts). */
    sinks: createSinkMetrics(registry),
    /** Wires in the point-in-time views once the components exist. */
    bind(v: MetricsViews): void {
      views = v;
    },
    /**
     * Creates every per-camera series at 0, so a counter's first increment is an increase that
     * rate() and increase() can see, and dashboards show 0 rather than "no data".
     */
    initCamera(id: string): void {
      const camera_id = id;
      for (const c of [
        metrics.segmentsRecorded,
        metrics.segmentsUploaded,
        metrics.uploadFailures,
        metrics.uploadVerificationFailures,
        metrics.ffmpegRestarts,
        metrics.recordingBytes,
        metrics.uploadedBytes,
      ])
        c.inc({ camera_id }, 0);
      for (const reason of ['backlog_cap', 'disk_full']) metrics.segmentsDropped.inc({ camera_id, reason }, 0);
      for (const reason of ['empty', 'unreadable']) metrics.segmentsQuarantined.inc({ camera_id, reason }, 0);
      for (const reason of GAP_REASONS) metrics.recordingGap.inc({ camera_id, reason }, 0);
      metrics.streamConnected.set({ camera_id }, 0);
    },
    /**
     * camera_info{camera_id,<labels>} = 1, the Prometheus way to attach a camera's labels to every
     * series without multiplying them: `… * on(camera_id) group_left(site) camera_info`. Called again
     * whenever a camera comes, goes or changes its labels: the gauge is made anew, since its label
     * names are the union of every camera's.
     */
    describeCameras(cameras: readonly { id: string; labels: Record<string, string> }[]): void {
      registry.removeSingleMetric('camera_info');
      const names = [...new Set(cameras.flatMap((c) => Object.keys(c.labels)))].sort();
      const info = new Gauge({
        name: 'camera_info',
        help: "Always 1; its labels are the camera's configured labels (missing ones empty).",
        labelNames: ['camera_id', ...names],
        registers: reg,
      });
      for (const c of cameras) info.set({ camera_id: c.id, ...Object.fromEntries(names.map((n) => [n, c.labels[n] ?? ''])) }, 1);
    },
    /**
     * Drops a removed camera's series. 'recorder': what its ffmpeg produced (state, connection,
     * segments recorded, gaps…), at once. 'uploads': what the uploader counts, once its last
     * segment has left the disk (until then those series still say something true).
     */
    forgetCamera(id: string, part: 'recorder' | 'uploads'): void {
      const camera_id = id;
      const recorder = [metrics.streamConnected, metrics.segmentsRecorded, metrics.ffmpegRestarts, metrics.recordingBytes, metrics.segmentDuration];
      const uploads = [metrics.segmentsUploaded, metrics.uploadFailures, metrics.uploadVerificationFailures, metrics.uploadDuration, metrics.uploadedBytes];
      for (const m of part === 'recorder' ? recorder : uploads) m.remove({ camera_id });
      if (part === 'recorder') {
        metrics.vision.forget(camera_id);
        metrics.archive.forget(camera_id);
        for (const reason of GAP_REASONS) metrics.recordingGap.remove({ camera_id, reason });
        for (const result of PUSH_RESULTS) metrics.pushedFrames.remove({ camera_id, result });
      } else {
        for (const reason of ['backlog_cap', 'disk_full']) metrics.segmentsDropped.remove({ camera_id, reason });
        for (const reason of ['empty', 'unreadable']) metrics.segmentsQuarantined.remove({ camera_id, reason });
      }
    },
    streamConnected: new Gauge({
      name: 'camera_stream_connected',
      help: "1 while ffmpeg is receiving the camera's stream, else 0.",
      labelNames: camera,
      registers: reg,
    }),
    segmentsRecorded: new Counter({
      name: 'camera_segments_recorded_total',
      help: 'Segments ffmpeg finished writing (including ones cut short by a crash).',
      labelNames: camera,
      registers: reg,
    }),
    segmentsUploaded: new Counter({
      name: 'camera_segments_uploaded_total',
      help: 'Segments stored and verified in the store, then deleted locally.',
      labelNames: camera,
      registers: reg,
    }),
    uploadFailures: new Counter({
      name: 'camera_upload_failures_total',
      help: 'Failed upload attempts (each is retried).',
      labelNames: camera,
      registers: reg,
    }),
    uploadVerificationFailures: new Counter({
      name: 'camera_upload_verification_failures_total',
      help: "Upload attempts whose bytes did not match the file: refused by the store's Content-MD5 check, or stored with another size or ETag. The file stays and is retried.",
      labelNames: camera,
      registers: reg,
    }),
    uploadDuration: new Histogram({
      name: 'camera_segment_upload_duration_seconds',
      help: 'Time of one successful upload attempt, including verification.',
      labelNames: camera,
      registers: reg,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    }),
    ffmpegRestarts: new Counter({
      name: 'camera_ffmpeg_restarts_total',
      help: 'Times the recorder restarted ffmpeg after it exited or stalled.',
      labelNames: camera,
      registers: reg,
    }),
    recordingBytes: new Counter({
      name: 'camera_recording_bytes_total',
      help: 'Bytes of finished segments written by ffmpeg.',
      labelNames: camera,
      registers: reg,
    }),

    uploadedBytes: new Counter({ name: 'camera_uploaded_bytes_total', help: 'Bytes of segments stored and verified.', labelNames: camera, registers: reg }),
    segmentsDropped: new Counter({
      name: 'camera_segments_dropped_total',
      help: 'Finished segments deleted without being stored: footage lost. reason: backlog_cap or disk_full.',
      labelNames: ['camera_id', 'reason'],
      registers: reg,
    }),
    segmentsQuarantined: new Counter({
      name: 'camera_segments_quarantined_total',
      help: 'Segments moved to the quarantine folder instead of uploaded. reason: empty or unreadable.',
      labelNames: ['camera_id', 'reason'],
      registers: reg,
    }),
    /** Called before each scrape, so a gap still open is counted up to the moment of the scrape. */
    gapClocks: new Set<() => void>(),
    recordingGap: new Counter({
      name: 'camera_recording_gap_seconds_total',
      help: 'Seconds in which no frame of the camera was recorded, by reason: starting, camera_unreachable, stalled, disk_full, restart.',
      labelNames: ['camera_id', 'reason'],
      registers: reg,
      collect() {
        for (const flush of metrics.gapClocks) flush();
      },
    }),
    /** Pictures pushed to a push camera (http_push, redis_stream), by result: taken, not_jpeg, too_large, unavailable. */
    pushedFrames: new Counter({
      name: 'camera_pushed_frames_total',
      help: 'Pictures pushed to a push camera, by result: taken (written to its ffmpeg), not_jpeg, too_large, unavailable (refused with 503).',
      labelNames: ['camera_id', 'result'],
      registers: reg,
    }),
    segmentDuration: new Histogram({
      name: 'camera_segment_duration_seconds',
      help: 'Media duration of finished segments.',
      labelNames: camera,
      registers: reg,
      buckets: [1, 5, 10, 30, 60, 300, 600, 840, 890, 900, 910, 960, 1800, 3600],
    }),
  };

  new Gauge({
    name: 'camera_upload_queue_segments',
    help: 'Segments waiting for upload or being uploaded.',
    labelNames: camera,
    registers: reg,
    collect() {
      this.reset();
      for (const [id, b] of views?.backlog() ?? []) this.set({ camera_id: id }, b.segments);
    },
  });
  new Gauge({
    name: 'camera_backlog_bytes',
    help: 'Bytes of finished segments on local disk not yet stored.',
    labelNames: camera,
    registers: reg,
    collect() {
      this.reset();
      for (const [id, b] of views?.backlog() ?? []) this.set({ camera_id: id }, b.bytes);
    },
  });
  new Gauge({
    name: 'camera_last_segment_age_seconds',
    help: 'Seconds since the end of the newest finished segment.',
    labelNames: camera,
    registers: reg,
    collect() {
      this.reset();
      for (const [id, end] of views?.newestSegmentEnd() ?? []) this.set({ camera_id: id }, Math.max(0, (Date.now() - end) / 1000));
    },
  });
  new Gauge({
    name: 'camera_recorder_state',
    help: "1 for the recorder's current state (starting, recording, backoff, stopped).",
    labelNames: ['camera_id', 'state'],
    registers: reg,
    collect() {
      this.reset();
      for (const [id, current] of views?.recorderStates() ?? []) {
        for (const state of RECORDER_STATES) this.set({ camera_id: id, state }, state === current ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'camera_store_up',
    help: '1 when the store answered the last health check.',
    registers: reg,
    collect() {
      this.set(views?.store().up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'camera_store_last_success_timestamp_seconds',
    help: 'Unix time the store last answered a request successfully.',
    registers: reg,
    collect() {
      const t = views?.store().lastSuccessMs;
      if (t !== undefined) this.set(t / 1000);
    },
  });
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

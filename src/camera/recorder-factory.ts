// Which recorder a camera gets: an ffmpeg reading its stream (rtsp, file, synthetic), a push
// recorder for pictures POSTed to it (http_push), or a push recorder fed by its Redis stream.
import type { Clock } from '../clock.ts';
import type { EmitEvent } from '../events/event-bus.ts';
import type { Config } from '../config/schema.ts';
import type { VisionOf } from '../frames/vision-factory.ts';
import { PushRecorder } from '../ingest/push-recorder.ts';
import { redisStreamSourceOf } from '../ingest/redis-stream-source.ts';
import { SourcedRecorder } from '../ingest/sourced-recorder.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { FinishedSegment } from '../segment.ts';
import type { CameraSpec } from './camera-spec.ts';
import type { Recorder } from './camera-view.ts';
import { CameraRecorder } from './recorder.ts';

export interface RecorderFactoryDeps {
  config: Pick<Config, 'tempDir' | 'segmentDurationMs' | 'recorder' | 'push' | 'eventStream'>;
  log: Logger;
  metrics: Metrics;
  clock: Clock;
  visionOf: VisionOf;
  onSegment: (segment: FinishedSegment) => void;
  /** ffmpeg hit ENOSPC: free room before its restart. */
  onDiskFull: () => void;
  /** The event stream: camera.connected / disconnected and what the camera's vision and pictures tell. */
  emit?: EmitEvent | undefined;
}

export function recorderFactory(deps: RecorderFactoryDeps): (camera: CameraSpec, newestNameMs?: number) => Recorder {
  const { config } = deps;
  return (camera, newestNameMs) => {
    const log = deps.log.child({ camera: camera.id });
    const recorderDeps = {
      newestNameMs,
      settings: { tempDir: config.tempDir, segmentDurationMs: config.segmentDurationMs, ...config.recorder },
      log,
      metrics: deps.metrics,
      clock: deps.clock,
      onSegment: deps.onSegment,
      onDiskFull: deps.onDiskFull,
      emit: deps.emit,
      vision: deps.visionOf(camera, log),
    };
    const push = { ...config.push, frameIngestedIntervalMs: config.eventStream.frameIngestedIntervalMs };
    if (camera.sourceType === 'http_push') return new PushRecorder({ ...recorderDeps, camera, push });
    if (camera.sourceType === 'redis_stream') {
      const recorder = new PushRecorder({ ...recorderDeps, camera, push });
      return new SourcedRecorder(recorder, redisStreamSourceOf(camera, recorder, log));
    }
    return new CameraRecorder({ ...recorderDeps, camera });
  };
}

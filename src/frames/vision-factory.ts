// Makes a camera's CameraVision from the service's [analysis] defaults and the camera's own settings,
// with its findings offered to the snapshot archive; none when the analysis is off for the camera
// (its ffmpeg then runs the recording alone).
import type { Clock } from '../clock.ts';
import type { EmitEvent } from '../events/event-bus.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { CameraVision } from './camera-vision.ts';
import type { SnapshotArchive } from './snapshot-archive.ts';
import type { VisionMetrics } from './vision-metrics.ts';
import { type AnalysisInput, DEFAULT_VISION, type VisionSettings, visionSettings } from './vision-settings.ts';

export interface VisionFactoryDeps {
  config: Pick<Config, 'analysis' | 'snapshots'>;
  metrics: VisionMetrics;
  clock: Clock;
  archive: SnapshotArchive;
  /** A camera's labels now, for the metadata of its snapshots. */
  labelsOf: (id: string) => Record<string, string>;
  /** The event stream, for health and motion events. */
  emit?: EmitEvent | undefined;
}

export type VisionOf = (camera: { id: string; analysis?: AnalysisInput | undefined }, log: Logger) => CameraVision | undefined;

export function visionFactory(deps: VisionFactoryDeps): VisionOf {
  const { config, archive } = deps;
  const defaults: VisionSettings = { ...DEFAULT_VISION, enabled: config.analysis.enabled, snapshotWidth: config.analysis.snapshotWidth };
  return (camera, log) => {
    const settings = visionSettings(defaults, camera.analysis);
    if (!settings.enabled) return undefined;
    const cameraId = camera.id;
    archive.configure(cameraId, { ...config.snapshots, mode: settings.snapshots ?? config.snapshots.mode });
    return new CameraVision({
      cameraId,
      settings,
      metrics: deps.metrics,
      log,
      clock: deps.clock,
      onFinding: (f) => {
        if (f.jpeg) archive.offer({ cameraId, reason: f.reason, jpeg: f.jpeg.jpeg, capturedAtMs: f.capturedAtMs, labels: deps.labelsOf(cameraId) });
      },
      wantsSample: () => archive.wants(cameraId, 'sample'),
      emit: deps.emit,
      onStop: () => archive.forget(cameraId), // its counts end with it: a late upload would bring back removed series
    });
  };
}

// Makes a camera's CameraVision from the service's [analysis] defaults and the camera's own settings;
// none when the analysis is off for it (its ffmpeg then runs the recording alone).
import type { Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { CameraVision, type Finding } from './camera-vision.ts';
import type { VisionMetrics } from './vision-metrics.ts';
import { type AnalysisInput, DEFAULT_VISION, type VisionSettings, visionSettings } from './vision-settings.ts';

export interface VisionFactoryDeps {
  analysis: Config['analysis'];
  metrics: VisionMetrics;
  clock: Clock;
  onFinding?: (finding: Finding) => void;
}

export function visionFactory(
  deps: VisionFactoryDeps,
): (camera: { id: string; analysis?: AnalysisInput | undefined }, log: Logger) => CameraVision | undefined {
  const defaults: VisionSettings = { ...DEFAULT_VISION, enabled: deps.analysis.enabled, snapshotWidth: deps.analysis.snapshotWidth };
  return (camera, log) => {
    const settings = visionSettings(defaults, camera.analysis);
    if (!settings.enabled) return undefined;
    return new CameraVision({
      cameraId: camera.id,
      settings,
      metrics: deps.metrics,
      log,
      clock: deps.clock,
      ...(deps.onFinding && { onFinding: deps.onFinding }),
    });
  };
}

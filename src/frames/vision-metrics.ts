// The series of the frame analysis, on the service's registry. Kept out of metrics.ts, which holds
// the recording's; the names are the contract of the alerts in manifests/prometheusrule.yaml.
import { Counter, Gauge, type Registry } from 'prom-client';
import { HEALTH_PROBLEMS } from './health-options.ts';

export function createVisionMetrics(registry: Registry, frameAges: () => Map<string, number>) {
  const registers = [registry];
  const camera = ['camera_id'] as const;
  const metrics = {
    problem: new Gauge({
      name: 'camera_video_problem',
      help: "1 while the camera's picture shows the problem (black, frozen, covered, blurred, moved), debounced over several key frames; 0 when not, or when the check is off for the camera.",
      labelNames: ['camera_id', 'problem'],
      registers,
    }),
    motionActive: new Gauge({ name: 'camera_motion_active', help: '1 during a motion period, else 0.', labelNames: camera, registers }),
    motionEvents: new Counter({ name: 'camera_motion_events_total', help: 'Motion periods started.', labelNames: camera, registers }),
    framesAnalysed: new Counter({ name: 'camera_frames_analysed_total', help: 'Key frames analysed.', labelNames: camera, registers }),
    framesDropped: new Counter({
      name: 'camera_frames_dropped_total',
      help: 'Key frames replaced by a newer one while the analysis was busy (the recording never waits for the analysis).',
      labelNames: camera,
      registers,
    }),
    /** Every series of a camera at 0, so the first change is an increase rate() sees. */
    init(camera_id: string): void {
      for (const problem of HEALTH_PROBLEMS) metrics.problem.set({ camera_id, problem }, 0);
      metrics.motionActive.set({ camera_id }, 0);
      for (const c of [metrics.motionEvents, metrics.framesAnalysed, metrics.framesDropped]) c.inc({ camera_id }, 0);
    },
    forget(camera_id: string): void {
      for (const problem of HEALTH_PROBLEMS) metrics.problem.remove({ camera_id, problem });
      for (const m of [metrics.motionActive, metrics.motionEvents, metrics.framesAnalysed, metrics.framesDropped]) m.remove({ camera_id });
    },
  };
  new Gauge({
    name: 'camera_frame_age_seconds',
    help: 'Seconds since the newest analysed key frame was read (absent for a camera whose analysis is off).',
    labelNames: camera,
    registers,
    collect() {
      this.reset();
      for (const [id, atMs] of frameAges()) this.set({ camera_id: id }, Math.max(0, (Date.now() - atMs) / 1000));
    },
  });
  return metrics;
}

export type VisionMetrics = ReturnType<typeof createVisionMetrics>;

// Parameters of the quick and full modes, in one place (BENCHMARKS.md quotes them).
import type { CameraAddsConfig } from './camera-adds.ts';
import type { CapacityConfig } from './capacity.ts';
import type { CostConfig } from './cost.ts';
import type { RecoveryConfig } from './recovery.ts';
import type { SoakConfig } from './soak.ts';
import type { UploadConfig } from './upload.ts';

export interface Mode {
  name: 'quick' | 'full';
  cost: CostConfig;
  capacity: CapacityConfig;
  upload: UploadConfig;
  recovery: RecoveryConfig;
  adds: CameraAddsConfig;
  soak: SoakConfig;
}

export const MODES: Record<'quick' | 'full', Mode> = {
  quick: {
    name: 'quick',
    cost: { counts: [1, 10, 25], rounds: 1, segmentSeconds: 10, steadySegmentSeconds: 900, windowSeconds: 20, warmupSeconds: 3 },
    capacity: { ladder: [30, 55], stepSeconds: 40, confirmSeconds: 0, segmentSeconds: 10, deepCheckCameras: 4 },
    upload: { sizesMiB: [50, 500], reps: { 50: 3, 500: 2 }, rssSizesMiB: [50, 500, 1024], concurrent: { count: 4, sizeMiB: 100 }, digestPairs: 4 },
    recovery: { cameras: 4, segmentSeconds: 10, latencySeconds: 20, cameraOutagesSeconds: [10], storeOutageSeconds: 30 },
    adds: { cameras: 10, segmentSeconds: 10 },
    soak: {
      cameras: 8,
      segmentSeconds: 10,
      durationSec: 420,
      recorderKills: 2,
      killShare: 0.35,
      cameraKills: 8,
      cameraDownSec: [3, 25],
      storePauses: 2,
      storePauseSec: [10, 40],
      quietTailSec: 40,
      reconnectCapSec: 6,
    },
  },
  full: {
    name: 'full',
    cost: { counts: [1, 10, 25], rounds: 2, segmentSeconds: 30, steadySegmentSeconds: 900, windowSeconds: 60, warmupSeconds: 5 },
    capacity: { ladder: [30, 50, 70, 90], stepSeconds: 120, confirmSeconds: 600, segmentSeconds: 30, deepCheckCameras: 8 },
    upload: { sizesMiB: [50, 500], reps: { 50: 5, 500: 7 }, rssSizesMiB: [50, 500, 1024, 2048], concurrent: { count: 4, sizeMiB: 500 }, digestPairs: 8 },
    recovery: { cameras: 4, segmentSeconds: 10, latencySeconds: 120, cameraOutagesSeconds: [15, 120], storeOutageSeconds: 600 },
    adds: { cameras: 50, segmentSeconds: 10 },
    soak: {
      cameras: 8,
      segmentSeconds: 30,
      durationSec: 1800,
      recorderKills: 5,
      killShare: 0.35,
      cameraKills: 30,
      cameraDownSec: [3, 60],
      storePauses: 5,
      storePauseSec: [15, 120],
      quietTailSec: 60,
      reconnectCapSec: 6,
    },
  },
};

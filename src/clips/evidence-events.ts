// The evidence-clip events as the app holds them: their store (one JSON file each), the worker that
// cuts their clips and frames, and the one intake POST /api/events and the till's MQTT triggers use.
import type { Clock } from '../clock.ts';
import type { Config } from '../config/schema.ts';
import type { EmitEvent } from '../events/event-bus.ts';
import type { Logger } from '../logger.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { EventIntake } from './event-intake.ts';
import { EventStore } from './event-store.ts';
import { EventWorker } from './event-worker.ts';

export interface EvidenceEventsDeps {
  config: Config;
  store: ObjectStore;
  clock: Clock;
  log: Logger;
  emit: EmitEvent;
  /** Where the events' JSON files live, and the scratch space of clip exports (both under temp_dir). */
  eventsDir: string;
  clipsDir: string;
  /** Segments of a camera recorded but not yet stored (the uploader's backlog). */
  localBacklog: (cameraId: string) => { startMs: number }[];
  /** The ids of the cameras recording now. */
  currentCameras: () => string[];
}

export function createEvidenceEvents({ config, store, clock, emit, eventsDir, clipsDir, localBacklog, currentCameras, ...deps }: EvidenceEventsDeps) {
  const log = deps.log.child({ component: 'events' });
  const events = new EventStore(eventsDir);
  const worker = new EventWorker({
    events,
    store,
    clock,
    log,
    emit,
    localBacklog,
    settings: {
      ffmpegPath: config.recorder.ffmpegPath,
      ffprobePath: config.recorder.ffprobePath,
      workDir: clipsDir,
      ...config.events,
      segmentDurationMs: config.segmentDurationMs,
    },
  });
  const intake = new EventIntake({ events, worker, clock, config, log, currentCameras, emit });
  return {
    events,
    worker,
    intake,
    /** The intake as the MQTT triggers call it. */
    async acceptTrigger(body: unknown): Promise<{ id: string; duplicate: boolean }> {
      const { record, duplicate } = await intake.accept(body);
      return { id: record.id, duplicate };
    },
  };
}

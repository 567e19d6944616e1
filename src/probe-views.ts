// What /health and /ready say, read from the running service: each camera's recorder, the store,
// the uploads. /health is "degraded" (still 200) while a camera stays unrecorded past its own
// recovery; /ready turns false only for the service itself (phase, stopped recorders, the store).
import type { Recorder } from './camera/camera-view.ts';
import type { Clock } from './clock.ts';
import type { HttpViews } from './http/probes.ts';
import type { StoreHealth } from './storage/store-health.ts';

/** The store counts as answering "recently" for /ready within this window. */
export const STORE_FRESH_MS = 60_000;

export interface ProbeSources {
  phase: () => string;
  recorders: () => Recorder[];
  health: StoreHealth;
  storeDescription: string;
  backlog: () => Map<string, { segments: number; bytes: number }>;
  clock: Clock;
  /** stall_timeout + restart_max: a camera unrecorded for longer has not come back by itself. */
  recoveryMs: number;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** The picture problems on now, motion, and the newest analysed frame's age; null while the analysis is off. */
function videoOf(r: Recorder): { problems: string[]; motion: boolean; frameAgeSeconds: number | null } | null {
  const view = r.vision?.view();
  if (!view) return null;
  const problems = Object.entries(view.problems).flatMap(([p, s]) => (s.status === 'problem' ? [p] : []));
  return { problems, motion: view.motion.active, frameAgeSeconds: view.frame.age_seconds };
}

export function probeViews(s: ProbeSources): HttpViews {
  /**
   * Cameras without a frame for longer than the watchdog and the longest backoff take together:
   * the automatic recovery has not brought them back. /health then says "degraded" (still 200: the
   * process is alive, and restarting it would not bring a camera back); /ready stays as it is,
   * since an unready pod only loses its API traffic, not its cameras.
   */
  const notRecording = (): { id: string; since: string; reason: string }[] =>
    s.recorders().flatMap((r) => {
      const gap = r.notRecording;
      if (gap === undefined || s.clock.now() - gap.sinceMs < s.recoveryMs) return [];
      return [{ id: r.id, since: new Date(gap.sinceMs).toISOString(), reason: gap.reason }];
    });
  return {
    health: () => {
      const unrecorded = notRecording();
      const { health } = s;
      return {
        status: unrecorded.length > 0 ? 'degraded' : 'ok',
        phase: s.phase(),
        notRecording: unrecorded,
        cameras: s.recorders().map((r) => ({
          id: r.id,
          state: r.state,
          connected: r.connected,
          newestSegmentEnd: iso(r.newestSegmentEndMs),
          notRecordingSince: iso(r.notRecording?.sinceMs),
          video: videoOf(r),
        })),
        store: {
          target: s.storeDescription,
          up: health.up,
          lastSuccess: iso(health.lastSuccessMs),
          lastError: health.lastError ? { kind: health.lastError.kind, message: health.lastError.message } : null,
        },
        uploads: Object.fromEntries(s.backlog()),
      };
    },
    notReadyReasons: () => {
      const reasons: string[] = [];
      const phase = s.phase();
      if (phase !== 'running') reasons.push(`service is ${phase}`);
      const stopped = s
        .recorders()
        .filter((r) => r.state === 'stopped')
        .map((r) => r.id);
      if (stopped.length > 0) reasons.push(`recorders not running: ${stopped.join(', ')}`);
      const last = s.health.lastSuccessMs;
      if (!s.health.up || last === undefined || s.clock.now() - last > STORE_FRESH_MS) {
        reasons.push(`store not answering${s.health.lastError ? `: ${s.health.lastError.message}` : ''}`);
      }
      return reasons;
    },
  };
}

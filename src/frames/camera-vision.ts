// One camera's eyes: the key frames of its recording's ffmpeg (frame tap) go through the analyzer,
// the newest JPEG (snapshot tap) is kept for snapshot requests, and every change of a health
// problem or of motion becomes a log line, a metric and a finding (for the snapshot archive and,
// later, the event stream). It outlives the camera's ffmpeg runs, so a restart forgets nothing
// learned (the scene reference, the camera's normal detail).
import type { EmitEvent } from '../events/event-bus.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { FrameAnalyzer } from './analyzer.ts';
import type { ProblemState } from './debounce.ts';
import type { FrameConsumer, TapFrame } from './frame-tap.ts';
import { HEALTH_PROBLEMS, type HealthProblem } from './health-options.ts';
import type { TapJpeg } from './jpeg-tap.ts';
import type { MotionPeriod } from './motion.ts';
import type { VisionMetrics } from './vision-metrics.ts';
import type { VisionSettings } from './vision-settings.ts';

/** The analysis size: 57,600 pixels hold every detector's signal at ~0.7 ms a frame (BENCHMARKS.md). */
export const ANALYSIS_WIDTH = 320;
export const ANALYSIS_HEIGHT = 180;
/** A finding waits this long for the JPEG of its own key frame (the two pipes are not ordered). */
const JPEG_WAIT_MS = 3000;
/** ...and a JPEG read this much before the gray frame counts as the same key frame. */
const SAME_FRAME_MS = 250;
/** Finished motion periods kept for the API and, later, the timeline. */
const KEPT_PERIODS = 100;

export type FindingReason = HealthProblem | 'motion' | 'sample';

/** A problem that turned on, or motion that started, with the JPEG of the frame that showed it. */
export interface Finding {
  cameraId: string;
  reason: FindingReason;
  capturedAtMs: number;
  jpeg: TapJpeg | undefined;
}

export interface VisionView {
  /** Each watched problem's state; `off` for one this camera does not watch. */
  problems: Record<HealthProblem, { status: 'ok' | 'problem' | 'off'; since: string | null }>;
  motion: { enabled: boolean; active: boolean; since: string | null; area: number | null };
  frame: { analysed: number; dropped: number; newest: string | null; age_seconds: number | null };
  snapshot: { newest: string | null; age_seconds: number | null };
}

export interface VisionDeps {
  cameraId: string;
  settings: VisionSettings;
  metrics: VisionMetrics;
  log: Logger;
  clock: Clock;
  onFinding?: (finding: Finding) => void;
  /** Asked on each frame: is a periodic sample due? (the snapshot archive's `sample` mode) */
  wantsSample?: () => boolean;
  /** The event stream: health.problem / health.ok, motion.detected / motion.ended. */
  emit?: EmitEvent | undefined;
  /** Told once the vision has stopped and handed on its last findings. */
  onStop?: (() => void) | undefined;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
/** A changed share for an event: 0..1, four decimals. */
const share = (area: number | undefined): number => Math.round(Math.min(1, Math.max(0, area ?? 0)) * 10_000) / 10_000;

export class CameraVision {
  readonly cameraId: string;
  readonly #deps: VisionDeps;
  readonly #analyzer: FrameAnalyzer;
  readonly #checks: ReadonlySet<HealthProblem>;
  #snapshot: TapJpeg | undefined;
  #newestFrameMs: number | undefined;
  #analysed = 0;
  #dropped = 0;
  #lastArea: number | undefined;
  #periods: MotionPeriod[] = [];
  #waitingJpeg: { finding: Finding; frameMs: number; timer: NodeJS.Timeout }[] = [];
  #stopped = false;

  /** What the recording's ffmpeg should deliver: gray key frames of this size, to onFrame. */
  readonly consumer: FrameConsumer;

  constructor(deps: VisionDeps) {
    this.#deps = deps;
    this.cameraId = deps.cameraId;
    this.#checks = new Set(deps.settings.checks);
    this.#analyzer = new FrameAnalyzer(deps.settings.analyzer, deps.clock.now());
    this.consumer = { width: ANALYSIS_WIDTH, height: ANALYSIS_HEIGHT, fps: deps.settings.frameRate, onFrame: (frame) => this.#onFrame(frame) };
    deps.metrics.init(deps.cameraId);
  }

  get settings(): VisionSettings {
    return this.#deps.settings;
  }

  /** The newest key frame as a JPEG, and when it was read. */
  get snapshot(): TapJpeg | undefined {
    return this.#snapshot;
  }

  /** When the newest analysed key frame was read (ms), for camera_frame_age_seconds. */
  get newestFrameMs(): number | undefined {
    return this.#newestFrameMs;
  }

  /** Motion periods that ended, oldest first (the last KEPT_PERIODS), and the one under way. */
  get motionPeriods(): { finished: readonly MotionPeriod[]; current: MotionPeriod | undefined } {
    return { finished: this.#periods, current: this.#analyzer.motion.current };
  }

  /** A new JPEG from the snapshot tap (or a pushed frame): kept, and given to findings waiting for it. */
  takeJpeg(jpeg: TapJpeg): void {
    this.#snapshot = jpeg;
    const ready = this.#waitingJpeg.filter((w) => jpeg.atMs >= w.frameMs - SAME_FRAME_MS);
    this.#waitingJpeg = this.#waitingJpeg.filter((w) => !ready.includes(w));
    for (const w of ready) {
      clearTimeout(w.timer);
      this.#emit({ ...w.finding, jpeg });
    }
  }

  /** Frames the tap replaced while the analysis was busy (counted, never waited for). */
  framesDropped(total: number): void {
    const added = total - this.#dropped;
    if (added <= 0) return;
    this.#dropped = total;
    this.#deps.metrics.framesDropped.inc({ camera_id: this.cameraId }, added);
  }

  /** The installer turned the camera on purpose: `moved` is ok from now and the new view is learned. */
  relearnScene(): void {
    this.#analyzer.relearnScene(this.#deps.clock.now());
    this.#deps.metrics.problem.set({ camera_id: this.cameraId, problem: 'moved' }, 0);
    this.#deps.log.info('scene reference reset: the current view is learned as the camera’s normal one');
  }

  /** Findings still waiting for their JPEG are given without one; nothing is kept running. */
  stop(): void {
    this.#stopped = true;
    for (const w of this.#waitingJpeg) {
      clearTimeout(w.timer);
      this.#emit(w.finding);
    }
    this.#waitingJpeg = [];
    this.#deps.onStop?.();
  }

  view(): VisionView {
    const now = this.#deps.clock.now();
    const health = this.#analyzer.health;
    const problems = {} as VisionView['problems'];
    for (const p of HEALTH_PROBLEMS) {
      const s: ProblemState = health[p];
      problems[p] = this.#checks.has(p) ? { status: s.status, since: iso(s.since) } : { status: 'off', since: null };
    }
    const motion = this.#deps.settings.motion;
    const current = this.#analyzer.motion.current;
    const age = (ms: number | undefined): number | null => (ms === undefined ? null : Math.max(0, (now - ms) / 1000));
    return {
      problems,
      motion: {
        enabled: motion,
        active: motion && this.#analyzer.motion.active,
        since: motion ? iso(current?.start) : null,
        area: motion ? (this.#lastArea ?? null) : null,
      },
      frame: { analysed: this.#analysed, dropped: this.#dropped, newest: iso(this.#newestFrameMs), age_seconds: age(this.#newestFrameMs) },
      snapshot: { newest: iso(this.#snapshot?.atMs), age_seconds: age(this.#snapshot?.atMs) },
    };
  }

  #onFrame(tap: TapFrame): void {
    if (this.#stopped) return;
    const { metrics, log, settings } = this.#deps;
    const camera_id = this.cameraId;
    const wasMoving = this.#analyzer.motion.active;
    const result = this.#analyzer.analyze({ width: tap.width, height: tap.height, data: tap.data, capturedAt: tap.atMs });
    this.#newestFrameMs = tap.atMs;
    this.#analysed++;
    log.trace({ features: { ...result.features, signature: undefined }, scene: result.sceneDistance, area: result.motion.area }, 'frame analysed');
    metrics.framesAnalysed.inc({ camera_id });
    for (const problem of result.changed) {
      if (!this.#checks.has(problem)) continue;
      const state = result.health[problem];
      metrics.problem.set({ camera_id, problem }, state.status === 'problem' ? 1 : 0);
      log.info(
        { problem, status: state.status, since: iso(state.since) },
        state.status === 'problem' ? `video problem: ${problem}` : `video problem over: ${problem}`,
      );
      if (state.status === 'problem') this.#find(problem, state.since, tap.atMs);
      this.#deps.emit?.(
        state.status === 'problem' ? 'health.problem' : 'health.ok',
        camera_id,
        { problem, since: iso(state.since) ?? iso(tap.atMs)! },
        tap.atMs,
      );
    }
    if (this.#deps.wantsSample?.()) this.#find('sample', tap.atMs, tap.atMs);
    if (!settings.motion) return;
    this.#lastArea = result.motion.area;
    const moving = result.motion.active;
    if (moving === wasMoving) return;
    metrics.motionActive.set({ camera_id }, moving ? 1 : 0);
    if (moving) {
      metrics.motionEvents.inc({ camera_id });
      log.debug({ area: result.motion.area }, 'motion started');
      const start = this.#analyzer.motion.current?.start ?? tap.atMs;
      this.#find('motion', start, tap.atMs);
      this.#deps.emit?.('motion.detected', camera_id, { area: share(result.motion.area), box: result.motion.box ?? null, since: iso(start)! }, tap.atMs);
    } else {
      const { periods } = this.#analyzer.motion.takeFinished();
      this.#periods = [...this.#periods, ...periods].slice(-KEPT_PERIODS);
      for (const p of periods) {
        const end = p.end ?? tap.atMs;
        const data = { since: iso(p.start)!, duration_seconds: Math.max(0, end - p.start) / 1000, max_area: share(p.maxArea), box: p.box ?? null };
        this.#deps.emit?.('motion.ended', camera_id, data, end);
      }
      log.debug({ periods: periods.length }, 'motion ended');
    }
  }

  /** A finding takes the JPEG of the frame that showed it: the newest one if it is that frame, else the next. */
  #find(reason: FindingReason, capturedAtMs: number, frameMs: number): void {
    if (this.#deps.onFinding === undefined) return;
    const finding: Finding = { cameraId: this.cameraId, reason, capturedAtMs, jpeg: undefined };
    const newest = this.#snapshot;
    if (newest !== undefined && newest.atMs >= frameMs - SAME_FRAME_MS) {
      this.#emit({ ...finding, jpeg: newest });
      return;
    }
    const timer = setTimeout(() => {
      this.#waitingJpeg = this.#waitingJpeg.filter((w) => w.timer !== timer);
      this.#emit(finding);
    }, JPEG_WAIT_MS);
    timer.unref();
    this.#waitingJpeg.push({ finding, frameMs, timer });
  }

  #emit(finding: Finding): void {
    try {
      this.#deps.onFinding?.(finding);
    } catch (err) {
      this.#deps.log.warn({ err, reason: finding.reason }, 'a finding could not be handed on');
    }
  }
}

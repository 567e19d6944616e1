// What a camera's frame analysis does: the service-wide defaults ([analysis] in the configuration)
// with a camera's own `analysis` table (in [[cameras]] or over the API) on top.
import type { ConfigProblem } from '../errors.ts';
import { ARCHIVE_MODES, type ArchiveMode } from './archive-options.ts';
import { type AnalyzerOptions, DEFAULT_ANALYZER_OPTIONS } from './analysis-options.ts';
import type { DebounceOptions } from './debounce.ts';
import { HEALTH_PROBLEMS, type HealthOptions, type HealthProblem } from './health-options.ts';
import { checkMask, type NormalizedRect } from './mask.ts';

export interface VisionSettings {
  /** Key frames are decoded and analysed; off: ffmpeg's command line is the recording's alone. */
  readonly enabled: boolean;
  /** Width of the kept snapshot JPEG; 0 = the camera's own size. */
  readonly snapshotWidth: number;
  /** The problems watched; the others stay 0 (a PTZ camera turns on purpose: leave out `moved`). */
  readonly checks: readonly HealthProblem[];
  readonly motion: boolean;
  /** Frames a second analysed from a full decode (motion between key frames, at a cost); 0: key frames only. */
  readonly frameRate: number;
  readonly analyzer: AnalyzerOptions;
  /** Which of its snapshots go to the bucket; undefined: the service's snapshots.mode. */
  readonly snapshots?: ArchiveMode | undefined;
}

export const DEFAULT_VISION: VisionSettings = {
  enabled: true,
  snapshotWidth: 0,
  checks: HEALTH_PROBLEMS,
  motion: true,
  frameRate: 0,
  analyzer: DEFAULT_ANALYZER_OPTIONS,
};

/** A camera's `analysis` table as given (snake_case, as in TOML and JSON), every key optional. */
export interface AnalysisInput {
  enabled?: boolean;
  snapshot_width?: number;
  checks?: HealthProblem[];
  motion?: boolean;
  frame_rate?: number;
  motion_min_area?: number;
  motion_pixel_threshold?: number;
  motion_mask?: [number, number, number, number][];
  black_max_mean?: number;
  covered_min_share?: number;
  blurred_relative?: number;
  moved_min_distance?: number;
  snapshots?: ArchiveMode;
}

interface NumberKey {
  min: number;
  max: number;
  integer?: boolean;
  doc: string;
}

const NUMBERS: Record<string, NumberKey> = {
  snapshot_width: { min: 0, max: 7680, integer: true, doc: 'snapshot width in pixels, 0 = the camera’s own' },
  frame_rate: { min: 0, max: 30, doc: 'frames a second analysed from a full decode, 0 = key frames only (a full decode of 1080p costs ~30 % of a core)' },
  motion_min_area: { min: 0.0001, max: 1, doc: 'share of the picture that must change, e.g. 0.005' },
  motion_pixel_threshold: { min: 1, max: 254, integer: true, doc: 'luma change of one pixel that counts, e.g. 25' },
  black_max_mean: { min: 1, max: 254, integer: true, doc: 'mean luma at or below which a flat picture is black, e.g. 28' },
  covered_min_share: { min: 0.3, max: 1, doc: 'share of the picture in one shade for covered, e.g. 0.75' },
  blurred_relative: { min: 0.01, max: 1, doc: 'detail below this share of the learned normal is blurred, e.g. 0.35' },
  moved_min_distance: { min: 0.05, max: 2, doc: 'scene distance from the learned view for moved, e.g. 0.5' },
};
const BOOLEANS = ['enabled', 'motion'] as const;
export const ANALYSIS_KEYS = [...BOOLEANS, ...Object.keys(NUMBERS), 'checks', 'motion_mask', 'snapshots'] as const;

/** Checks an `analysis` table; pushes one problem per bad key (at = where the table is, for messages). */
export function checkAnalysis(value: unknown, at: string, problems: ConfigProblem[]): AnalysisInput | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ key: at, message: `must be a table of analysis settings (${ANALYSIS_KEYS.join(', ')})` });
    return undefined;
  }
  const before = problems.length;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const where = `${at}.${key}`;
    if ((BOOLEANS as readonly string[]).includes(key)) {
      if (typeof v === 'boolean') out[key] = v;
      else problems.push({ key: where, message: 'must be true or false' });
    } else if (key in NUMBERS) {
      const spec = NUMBERS[key] as NumberKey;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < spec.min || v > spec.max || (spec.integer === true && !Number.isInteger(v))) {
        problems.push({ key: where, message: `must be ${spec.integer ? 'a whole number' : 'a number'} from ${spec.min} to ${spec.max} (${spec.doc})` });
      } else out[key] = v;
    } else if (key === 'checks') {
      const bad = Array.isArray(v) ? v.filter((c) => !(HEALTH_PROBLEMS as readonly unknown[]).includes(c)) : [v];
      if (bad.length > 0)
        problems.push({ key: where, message: `must be a list of ${HEALTH_PROBLEMS.map((p) => `"${p}"`).join(', ')}; ${JSON.stringify(bad[0])} is not one` });
      else out[key] = [...new Set(v as HealthProblem[])];
    } else if (key === 'snapshots') {
      if ((ARCHIVE_MODES as readonly unknown[]).includes(v)) out[key] = v;
      else problems.push({ key: where, message: `must be one of ${ARCHIVE_MODES.map((m) => `"${m}"`).join(', ')} (which snapshots go to the bucket)` });
    } else if (key === 'motion_mask') {
      const mask = maskOf(v);
      try {
        if (mask === undefined) throw new RangeError('must be a list of [x, y, w, h] rectangles, each number from 0 to 1 of the picture');
        checkMask(mask);
        out[key] = v;
      } catch (err) {
        problems.push({ key: where, message: err instanceof Error ? err.message : String(err) });
      }
    } else {
      problems.push({ key: where, message: `unknown key; an analysis table has ${ANALYSIS_KEYS.join(', ')}` });
    }
  }
  return problems.length > before ? undefined : (out as AnalysisInput);
}

function maskOf(v: unknown): NormalizedRect[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const rects: NormalizedRect[] = [];
  for (const r of v) {
    if (!Array.isArray(r) || r.length !== 4 || r.some((n) => typeof n !== 'number')) return undefined;
    const [x, y, w, h] = r as [number, number, number, number];
    rects.push({ x, y, w, h });
  }
  return rects;
}

/** The key-frame interval the default debounces are counted in (a 2 s GOP). */
const KEY_FRAME_SECONDS = 2;

/**
 * At a frame rate, the debounces keep their meaning in time: a run of 3 key frames spans 4 s, so at
 * 5 frames a second a problem still needs 4 s, not 0.4 s; the learned normals take as long as they
 * would from key frames. Motion keeps its frame counts (quicker is what the rate is paid for) but
 * ends after at least a second of stillness.
 */
function atFrameRate(a: AnalyzerOptions, frameRate: number): AnalyzerOptions {
  if (frameRate <= 0) return a;
  const per = Math.max(1, Math.round(frameRate * KEY_FRAME_SECONDS));
  const inTime = (d: DebounceOptions): DebounceOptions => ({
    ...d,
    onSeconds: Math.max(d.onSeconds, (d.onFrames - 1) * KEY_FRAME_SECONDS),
    offSeconds: Math.max(d.offSeconds, (d.offFrames - 1) * KEY_FRAME_SECONDS),
  });
  const h = a.health;
  const debounce = Object.fromEntries(HEALTH_PROBLEMS.map((p) => [p, inTime(h.debounce[p])])) as unknown as HealthOptions['debounce'];
  return {
    ...a,
    health: {
      ...h,
      debounce,
      blurred: { ...h.blurred, learnFrames: h.blurred.learnFrames * per },
      moved: { ...h.moved, learnFrames: h.moved.learnFrames * per },
    },
    motion: { ...a.motion, debounce: { ...a.motion.debounce, offSeconds: Math.max(a.motion.debounce.offSeconds, 1) } },
  };
}

/** The defaults with a camera's own settings on top. */
export function visionSettings(defaults: VisionSettings, input: AnalysisInput | undefined): VisionSettings {
  if (input === undefined) return defaults.frameRate > 0 ? { ...defaults, analyzer: atFrameRate(defaults.analyzer, defaults.frameRate) } : defaults;
  const a = defaults.analyzer;
  const h = a.health;
  const frameRate = input.frame_rate ?? defaults.frameRate;
  const settings: VisionSettings = {
    enabled: input.enabled ?? defaults.enabled,
    snapshotWidth: input.snapshot_width ?? defaults.snapshotWidth,
    checks: input.checks ?? defaults.checks,
    motion: input.motion ?? defaults.motion,
    frameRate,
    snapshots: input.snapshots ?? defaults.snapshots,
    analyzer: {
      ...a,
      motion: {
        ...a.motion,
        minArea: input.motion_min_area ?? a.motion.minArea,
        pixelThreshold: input.motion_pixel_threshold ?? a.motion.pixelThreshold,
        mask: input.motion_mask ? (maskOf(input.motion_mask) ?? a.motion.mask) : a.motion.mask,
      },
      health: {
        ...h,
        black: { ...h.black, maxMean: input.black_max_mean ?? h.black.maxMean },
        covered: { ...h.covered, minDominantShare: input.covered_min_share ?? h.covered.minDominantShare },
        blurred: { ...h.blurred, relative: input.blurred_relative ?? h.blurred.relative },
        moved: { ...h.moved, minDistance: input.moved_min_distance ?? h.moved.minDistance },
      },
    },
  };
  return { ...settings, analyzer: atFrameRate(settings.analyzer, frameRate) };
}

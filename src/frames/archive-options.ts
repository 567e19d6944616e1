// What a camera's snapshots in the bucket are for, and how often they may be written: the options of
// SnapshotArchive, their defaults, and the checker the configuration runs them through.
import type { ConfigProblem } from '../errors.ts';
import { formatDuration, parseDuration } from '../config/units.ts';
import { closest } from '../config/suggest.ts';
import { isTable } from '../config/table.ts';
import { HEALTH_PROBLEMS, type HealthProblem } from './health-options.ts';

/**
 * Which snapshots of a camera go to the bucket. `abnormal`: the frame that turned a health problem on
 * or started a motion period. `sample`: one every `sampleIntervalMs`, and nothing else. `all`: both.
 * `none`: nothing.
 */
export const ARCHIVE_MODES = ['all', 'abnormal', 'sample', 'none'] as const;
export type ArchiveMode = (typeof ARCHIVE_MODES)[number];

/** Why a snapshot is offered: a health problem that turned on, a motion period that started, or a periodic sample. */
export const SNAPSHOT_REASONS = [...HEALTH_PROBLEMS, 'motion', 'sample'] as const;
export type SnapshotReason = HealthProblem | 'motion' | 'sample';

export interface ArchiveOptions {
  /** @default 'abnormal' */
  readonly mode: ArchiveMode;
  /** At most one snapshot per camera and reason this often (a flapping problem writes one a minute, not one a frame). @default 60 s */
  readonly minIntervalMs: number;
  /** One sample per camera this often, in modes `sample` and `all`. @default 5 min */
  readonly sampleIntervalMs: number;
}

export const DEFAULT_ARCHIVE_OPTIONS: ArchiveOptions = { mode: 'abnormal', minIntervalMs: 60_000, sampleIntervalMs: 5 * 60_000 };

/**
 * Two snapshots of one camera and reason are at least a second apart, so their keys (to the second)
 * differ; a day is the longest gap worth configuring. A sample more often than every 10 s would be a
 * time lapse, which the segments already are.
 */
export const ARCHIVE_LIMITS = {
  minIntervalMs: { min: 1000, max: 86_400_000 },
  sampleIntervalMs: { min: 10_000, max: 86_400_000 },
} as const;

/** The TOML keys of a snapshots table, in `[snapshots]` or a camera's `snapshots = { … }`. */
export const ARCHIVE_KEYS = ['mode', 'min_interval', 'sample_interval'] as const;

const EXAMPLE = 'e.g. snapshots = { mode = "abnormal", min_interval = "60s", sample_interval = "5m" }';

/**
 * Checks a snapshots table (`at` names where it is, for the messages) and returns it over `base`
 * (the defaults, or the global table for a camera's own); undefined when a problem was pushed.
 */
export function checkArchiveOptions(
  value: unknown,
  at: string,
  problems: ConfigProblem[],
  base: ArchiveOptions = DEFAULT_ARCHIVE_OPTIONS,
): ArchiveOptions | undefined {
  if (value === undefined) return base;
  if (!isTable(value)) {
    problems.push({ key: at, message: `must be a table, ${EXAMPLE}` });
    return undefined;
  }
  const before = problems.length;
  for (const k of Object.keys(value)) {
    if ((ARCHIVE_KEYS as readonly string[]).includes(k)) continue;
    const hint = closest(k, ARCHIVE_KEYS);
    problems.push({ key: `${at}.${k}`, message: `unknown key${hint ? `; did you mean "${hint}"?` : `; a snapshots table has ${ARCHIVE_KEYS.join(', ')}`}` });
  }
  let mode = base.mode;
  if (value.mode !== undefined) {
    if (typeof value.mode === 'string' && (ARCHIVE_MODES as readonly string[]).includes(value.mode)) mode = value.mode as ArchiveMode;
    else
      problems.push({
        key: `${at}.mode`,
        message: `${JSON.stringify(value.mode)} is not a mode: use one of ${ARCHIVE_MODES.join(', ')} (abnormal: problems and motion starts; sample: one every sample_interval; all: both; none: nothing)`,
      });
  }
  const minIntervalMs = checkInterval(value.min_interval, `${at}.min_interval`, ARCHIVE_LIMITS.minIntervalMs, base.minIntervalMs, problems);
  const sampleIntervalMs = checkInterval(value.sample_interval, `${at}.sample_interval`, ARCHIVE_LIMITS.sampleIntervalMs, base.sampleIntervalMs, problems);
  return problems.length > before ? undefined : { mode, minIntervalMs, sampleIntervalMs };
}

function checkInterval(value: unknown, at: string, limits: { min: number; max: number }, fallback: number, problems: ConfigProblem[]): number {
  if (value === undefined) return fallback;
  const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? parseDuration(value) : undefined;
  const range = `between ${formatDuration(limits.min)} and ${formatDuration(limits.max)}`;
  if (ms === undefined || !Number.isFinite(ms)) {
    problems.push({ key: at, message: `${JSON.stringify(value)} is not a duration: write it like "60s", "5m" or "1h" (${range})` });
    return fallback;
  }
  if (ms < limits.min || ms > limits.max) {
    problems.push({ key: at, message: `${JSON.stringify(value)} is out of range: it must be ${range}` });
    return fallback;
  }
  return ms;
}

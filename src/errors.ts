// The few error types the service raises. Callers branch on fields, never on message text.

/** One problem with the configuration: which key, what is wrong, how to fix it. */
export interface ConfigProblem {
  /** Where the problem is: a TOML key path (`s3.bucket`, `cameras[1].url`) or an env var. */
  key: string;
  message: string;
}

/** Bad configuration: the process must not start. Carries every problem found, not just the first. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[], options?: { cause?: unknown }) {
    super(problems.map((p) => `${p.key}: ${p.message}`).join('\n'), options);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Why a store operation failed, decided once in the store so the uploader never parses messages. */
export type StoreErrorKind = 'auth' | 'no-bucket' | 'unreachable' | 'timeout' | 'throttled' | 'mismatch' | 'other';

export class StoreError extends Error {
  readonly kind: StoreErrorKind;
  /** Worth retrying as is. Every kind is retried by the uploader; this only decides the log level. */
  readonly transient: boolean;
  constructor(message: string, kind: StoreErrorKind, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.kind = kind;
    this.transient = kind === 'unreachable' || kind === 'timeout' || kind === 'throttled';
  }
}

/** A finished segment that cannot be stored as it is: it goes to quarantine, never to the bucket. */
export type SegmentProblem = 'empty' | 'unreadable';

export class SegmentError extends Error {
  readonly problem: SegmentProblem;
  constructor(message: string, problem: SegmentProblem, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SegmentError';
    this.problem = problem;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

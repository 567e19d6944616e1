// Exponential backoff with jitter, shared by ffmpeg restarts and upload retries.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (0-based): initial × 2^attempt, capped, then "equal jitter"
 * (half fixed, half random) so many cameras or uploads failing together do not retry in lockstep.
 */
export function backoffDelay(attempt: number, { initialMs, maxMs }: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

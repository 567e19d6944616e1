// A request for footage that cannot be served as asked: a bad field, no footage in the range, or
// an event_id already taken by a different event.

export type ClipProblem = 'bad-request' | 'no-footage' | 'unknown-camera' | 'conflict';

export class ClipError extends Error {
  readonly problem: ClipProblem;
  /** The request field at fault (`from`, `camera`, `pre_seconds`…), for a 400 that names it. */
  readonly field: string | undefined;
  constructor(message: string, problem: ClipProblem, field?: string) {
    super(message);
    this.name = 'ClipError';
    this.problem = problem;
    this.field = field;
  }
}

// A request for footage that cannot be served as asked: a bad field, or no footage in the range.

export type ClipProblem = 'bad-request' | 'no-footage' | 'unknown-camera';

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

// Work on one key (a camera id) runs one piece after another; work on different keys side by side.
// Two PATCHes of one camera at once never leave two ffmpegs.
export class Turns {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` once every piece queued for `key` before it has settled; its result or error is the caller's. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const run = previous.then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return run;
  }

  /** Resolves when everything queued by now has settled. */
  async settled(): Promise<void> {
    await Promise.all([...this.#tails.values()]);
  }
}

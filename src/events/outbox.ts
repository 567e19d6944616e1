// A sink's queue of envelopes not yet published: bounded, and when full the oldest goes. A broker
// that is slow or down must never hold the recorder's memory or its callers, so `push` never
// waits and never throws; what it drops is counted, and the newest events (the current truth) stay.

export interface OutboxOptions {
  /** Most items held; at this size a push drops the oldest. */
  capacity: number;
  /** Told of each item dropped to make room. */
  onDrop?: ((dropped: number) => void) | undefined;
}

export class Outbox<T> {
  readonly capacity: number;
  readonly #onDrop: ((dropped: number) => void) | undefined;
  // A ring: head is the oldest item, size how many follow it.
  readonly #items: (T | undefined)[];
  #head = 0;
  #size = 0;
  #dropped = 0;
  #waiter: (() => void) | undefined;

  constructor(opts: OutboxOptions) {
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1) throw new Error(`outbox capacity must be an integer of 1 or more, got ${opts.capacity}`);
    this.capacity = opts.capacity;
    this.#onDrop = opts.onDrop;
    this.#items = new Array<T | undefined>(opts.capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Items dropped since the outbox was made. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Adds an item; when full, the oldest is dropped to make room. Never blocks. */
  push(item: T): void {
    if (this.#size === this.capacity) {
      this.#items[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.capacity;
      this.#size--;
      this.#dropped++;
      this.#onDrop?.(1);
    }
    this.#items[(this.#head + this.#size) % this.capacity] = item;
    this.#size++;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  /** The oldest item without removing it. */
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#size--;
    return item;
  }

  /** Resolves once the outbox holds an item (at once if it does), or when `signal` aborts. */
  async waitForItem(signal?: AbortSignal): Promise<void> {
    if (this.#size > 0 || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        if (this.#waiter === done) this.#waiter = undefined;
        resolve();
      };
      this.#waiter = done;
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

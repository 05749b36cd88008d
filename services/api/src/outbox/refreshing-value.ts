/**
 * A value read from somewhere slow (the node's fee suggestion), kept for `freshMs`; between
 * `freshMs` and `staleMs` old it is still answered at once while one read refreshes it in the
 * background, so the worker's run never waits for the node for it; older than `staleMs` (or never
 * read, or {@link invalidate}d) the caller waits for a read. Concurrent callers share one read.
 *
 * @example
 * const fees = new RefreshingValue(() => chain.feeData(), { freshMs: 1_000, staleMs: 5_000 });
 * const data = await fees.get();
 */
export class RefreshingValue<T> {
  readonly #read: () => Promise<T>;
  readonly #freshMs: number;
  readonly #staleMs: number;
  readonly #now: () => number;
  #value: { at: number; data: T } | undefined;
  #reading: Promise<T> | undefined;

  constructor(read: () => Promise<T>, options: { freshMs: number; staleMs: number; now?: () => number }) {
    if (!(options.freshMs >= 0 && options.staleMs >= options.freshMs))
      throw new Error(
        `RefreshingValue: need 0 <= freshMs <= staleMs, got ${options.freshMs}, ${options.staleMs}`,
      );
    this.#read = read;
    this.#freshMs = options.freshMs;
    this.#staleMs = options.staleMs;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The value, read again when it is older than `staleMs` (and refreshed in the background when
   * older than `freshMs`).
   *
   * @throws whatever the read throws, when the caller had to wait for it.
   */
  async get(): Promise<T> {
    const value = this.#value;
    const age = value === undefined ? Infinity : this.#now() - value.at;
    if (value !== undefined && age <= this.#freshMs) return value.data;
    const reading = this.#refresh();
    if (value !== undefined && age <= this.#staleMs) {
      // A failed background read is forgotten: the next caller past freshMs tries again.
      reading.catch(() => undefined);
      return value.data;
    }
    return reading;
  }

  /** Forgets the value: the next {@link get} waits for a new read (one already on its way counts). */
  invalidate(): void {
    this.#value = undefined;
  }

  #refresh(): Promise<T> {
    if (this.#reading !== undefined) return this.#reading;
    // Stamped with the time the read started: the value is at least that old.
    const started = this.#now();
    const reading = this.#read().then((data) => {
      this.#value = { at: started, data };
      return data;
    });
    this.#reading = reading;
    const done = (): void => {
      if (this.#reading === reading) this.#reading = undefined;
    };
    reading.then(done, done);
    return reading;
  }
}

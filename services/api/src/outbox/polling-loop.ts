import type { JsonLogger } from "../logger.js";

/**
 * Runs `pass` now and then again `intervalMs` after each pass ends, until {@link stop}; passes never
 * overlap, and a failing pass is logged and retried on the next tick. Shared by the outbox workers.
 */
export class PollingLoop {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly logger: JsonLogger,
    private readonly failureMessage: string,
  ) {}

  start(intervalMs: number, pass: () => Promise<unknown>): void {
    if (this.#timer) return;
    const tick = (): void => {
      this.#running = pass()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.emit("error", this.failureMessage, { error: String(error) }))
        .finally(() => {
          if (this.#timer) this.#timer = setTimeout(tick, intervalMs);
        });
    };
    this.#timer = setTimeout(tick, 0);
  }

  /** Stops polling and waits for a pass in progress to finish. */
  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}

/**
 * Claims and processes operations one at a time until `claim` finds none (or `max` were handled);
 * answers how many were handled.
 */
export async function drainClaims(
  claim: () => Promise<string | undefined>,
  process: (id: string) => Promise<unknown>,
  max: number,
): Promise<number> {
  let handled = 0;
  while (handled < max) {
    const id = await claim();
    if (id === undefined) break;
    handled++;
    await process(id);
  }
  return handled;
}

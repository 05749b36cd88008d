import type { ApiKeyRow } from "../../../db/src/repositories.js";

/** How long a looked-up key row is trusted without asking the database again. */
export const VERIFIED_KEY_TTL_MS = 2_000;
/** Most rows kept; the oldest entry goes first when full. */
export const VERIFIED_KEY_CACHE_SIZE = 1_000;

/**
 * A short-lived cache of unrevoked API key rows by id, so the auth guard does not ask the
 * database on every request. It holds rows, never secrets: every request still checks its
 * secret against the row's salted hash.
 *
 * Revocation: the revoking request calls {@link invalidate} after its transaction commits, which
 * drops the row at once in this process and stops any lookup that began before it from caching
 * the old row (each id has a generation the lookup must still match when it stores). A key
 * revoked by another process (another API instance, the CLI) stops working here within
 * {@link VERIFIED_KEY_TTL_MS}.
 */
export class VerifiedKeyCache {
  readonly #rows = new Map<string, { row: ApiKeyRow; until: number }>();
  readonly #generations = new Map<string, number>();
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #size: number;

  constructor(options: { now?: () => number; ttlMs?: number; size?: number } = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#ttlMs = options.ttlMs ?? VERIFIED_KEY_TTL_MS;
    this.#size = options.size ?? VERIFIED_KEY_CACHE_SIZE;
  }

  /** The cached, unexpired row of `id`, if any. */
  get(id: string): ApiKeyRow | undefined {
    const entry = this.#rows.get(id);
    if (entry === undefined) return undefined;
    if (entry.until <= this.#now()) {
      this.#rows.delete(id);
      return undefined;
    }
    return entry.row;
  }

  /** Take this before reading the row from the database, and hand it to {@link put}. */
  generation(id: string): number {
    return this.#generations.get(id) ?? 0;
  }

  /**
   * Keeps `row` for the TTL, unless it is revoked or `id` was invalidated since `generation`
   * was taken (the row read may predate the revocation).
   */
  put(row: ApiKeyRow, generation: number): void {
    if (row.revokedAt !== null || generation !== this.generation(row.id)) return;
    if (this.#rows.size >= this.#size && !this.#rows.has(row.id)) {
      const oldest = this.#rows.keys().next();
      if (!oldest.done) this.#rows.delete(oldest.value);
    }
    this.#rows.set(row.id, { row, until: this.#now() + this.#ttlMs });
  }

  /** Forgets `id` now; call it once a revocation has committed. */
  invalidate(id: string): void {
    this.#rows.delete(id);
    this.#generations.set(id, this.generation(id) + 1);
  }
}

import { createHash } from "node:crypto";
import { Inject, Injectable } from "@nestjs/common";
import { canonicalJson, type JsonValue } from "../../../shared/src/canonical-json.js";
import { ConflictError } from "../../../shared/src/errors.js";
import type { Database, Tx } from "../../../db/src/database.js";
import type { AuditRepository, IdempotencyRepository, IdempotencyRow } from "../../../db/src/repositories.js";
import { AUDIT_REPOSITORY, CLOCK, DATABASE, IDEMPOTENCY_REPOSITORY, type Clock } from "../tokens.js";
import type { Principal } from "../auth/roles.js";

export interface StoredResponse {
  readonly status: number;
  readonly body: JsonValue;
  /** True when this answer is a replay of an earlier request with the same key. */
  readonly replayed: boolean;
}

/** Hash of what a request asks for; the same key with a different hash is refused. */
export function requestHash(method: string, route: string, body: unknown): string {
  return createHash("sha256")
    .update(canonicalJson({ method, route, body: body ?? null }))
    .digest("hex");
}

/**
 * Runs a write exactly once per (API key, idempotency key). The key is claimed, the write done,
 * the audit row appended and the response stored, all in one transaction: a failure leaves no
 * trace and the client may retry; a success is replayed byte for byte. Audit rows the write
 * appends on its transaction are written at its end (see {@link AuditRepository.defer}).
 */
@Injectable()
export class IdempotencyService {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(IDEMPOTENCY_REPOSITORY) private readonly records: IdempotencyRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(AUDIT_REPOSITORY) private readonly audit: AuditRepository,
  ) {}

  /** @throws {ConflictError} `idempotency_key_reused` when the key was used for another request. */
  async run(
    principal: Principal,
    key: string,
    hash: string,
    work: (tx: Tx, now: Date) => Promise<{ status: number; body: JsonValue }>,
  ): Promise<StoredResponse> {
    return this.database.db.transaction(async (tx) => {
      const now = this.clock();
      const claimed = await this.records.claim(tx, {
        apiKeyId: principal.keyId,
        key,
        requestHash: hash,
        responseStatus: 0,
        responseBody: {},
        createdAt: now,
      });
      if (!claimed) {
        const existing = await this.records.find(tx, principal.keyId, key);
        if (!existing) throw keyReused(key);
        return this.#replay(existing, key, hash);
      }
      // The work's audit rows are written last, in the same round trip as the stored answer, so
      // the audit chain's lock is held only for that statement and the commit.
      this.audit.defer(tx);
      const result = await work(tx, now);
      await this.audit.flush(
        tx,
        this.records.saveResponseStatement(principal.keyId, key, result.status, result.body),
      );
      return { ...result, replayed: false };
    });
  }

  /**
   * {@link run} with the key claimed at the end instead of the start: the work runs, then one
   * statement claims the key with the answer already in it and stages the work's audit rows,
   * only if the claim succeeded. That is one round trip and one write fewer on the accept path
   * (decision 1047). If the key was taken, whether before or by a transaction that committed
   * meanwhile (a concurrent claim waits for it), the work is rolled back and the stored answer
   * is replayed, or a 409 is returned.
   *
   * Only for work whose every effect is in this transaction: a request that turns out to be a
   * replay runs its work before it is rolled back. If the work throws, the key is looked up
   * before the error is passed on, so a replay is answered as under {@link run} even when its
   * work would now fail (a lock whose balance the first request already locked, say).
   *
   * @throws {ConflictError} `idempotency_key_reused` when the key was used for another request.
   */
  async runClaimingLast(
    principal: Principal,
    key: string,
    hash: string,
    work: (tx: Tx, now: Date) => Promise<{ status: number; body: JsonValue }>,
  ): Promise<StoredResponse> {
    try {
      return await this.database.db.transaction(async (tx) => {
        const now = this.clock();
        this.audit.defer(tx);
        const result = await work(tx, now);
        const claimed = await this.audit.flushGuarded(
          tx,
          this.records.claimStatement({
            apiKeyId: principal.keyId,
            key,
            requestHash: hash,
            responseStatus: result.status,
            responseBody: result.body,
            createdAt: now,
          }),
        );
        if (!claimed) throw new KeyTaken();
        return { ...result, replayed: false };
      });
    } catch (error) {
      let existing: IdempotencyRow | undefined;
      try {
        existing = await this.records.find(this.database.db, principal.keyId, key);
      } catch {
        throw error;
      }
      if (existing === undefined) {
        // Taken, then gone before the look-up: nothing here expires keys, so this is not expected.
        if (error instanceof KeyTaken)
          throw new Error(`Idempotency-Key '${key}' was taken but is not stored`);
        throw error;
      }
      return this.#replay(existing, key, hash);
    }
  }

  #replay(existing: IdempotencyRow, key: string, hash: string): StoredResponse {
    if (existing.requestHash !== hash) throw keyReused(key);
    return { status: existing.responseStatus, body: existing.responseBody as JsonValue, replayed: true };
  }
}

function keyReused(key: string): ConflictError {
  return new ConflictError(
    "idempotency_key_reused",
    `Idempotency-Key '${key}' was already used for a different request`,
    "Idempotency-Key",
  );
}

/** The key was claimed by another request: the work is rolled back and that request's answer replayed. */
class KeyTaken extends Error {
  constructor() {
    super("the idempotency key is taken");
  }
}

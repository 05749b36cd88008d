import type { FastifyReply } from "fastify";
import type { Tx } from "../../../db/src/database.js";
import type { JsonValue } from "../../../shared/src/canonical-json.js";
import type { Principal } from "../auth/roles.js";
import type { RequestContext } from "../governance/governance.service.js";
import { type IdempotencyService, requestHash } from "./idempotency.service.js";
import { sendStored } from "./replies.js";

/**
 * Runs a write that queues a chain operation under the request's idempotency key and answers 202
 * with what `work` queued. The same key with the same body replays the stored answer; with another
 * body it is a 409 (see {@link IdempotencyService.runClaimingLast}). `work` must keep every effect
 * in its transaction: a replay runs it before rolling it back.
 */
export async function runQueuedWrite(
  idempotency: IdempotencyService,
  reply: FastifyReply,
  principal: Principal,
  key: string,
  route: string,
  body: unknown,
  work: (tx: Tx, ctx: RequestContext) => Promise<object>,
): Promise<unknown> {
  const hash = requestHash("POST", route, body);
  // Queuing writes only rows, so the key can be claimed last (decision 1047).
  const stored = await idempotency.runClaimingLast(principal, key, hash, async (tx, now) => {
    const queued = await work(tx, { principal, idempotencyKey: key, requestHash: hash, now });
    return { status: 202, body: { ...queued } as unknown as JsonValue };
  });
  return sendStored(reply, stored);
}

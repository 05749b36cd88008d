import type { FastifyReply } from "fastify";
import type { StoredResponse } from "./idempotency.service.js";

/** Sends an idempotent answer with its original status, marking replays in a header. */
export function sendStored(reply: FastifyReply, stored: StoredResponse): unknown {
  void reply.status(stored.status);
  if (stored.replayed) void reply.header("idempotent-replayed", "true");
  return stored.body;
}

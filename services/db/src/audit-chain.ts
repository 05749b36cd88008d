import { createHash } from "node:crypto";
import { canonicalJson, type JsonValue } from "../../shared/src/canonical-json.js";

/** `prev_hash` of the first row. */
export const GENESIS_HASH = "0".repeat(64);

/** The fields of an audit row that its hash covers (everything but the hash itself). */
export interface AuditRowContent {
  readonly seq: number;
  readonly at: Date;
  readonly actor: string;
  readonly action: string;
  readonly payload: JsonValue;
  readonly prevHash: string;
}

export interface AuditRow extends AuditRowContent {
  readonly hash: string;
}

/**
 * sha256 over the canonical JSON of the row, previous hash included, so changing, removing or
 * reordering any row breaks every hash after it.
 *
 * @example auditRowHash({ seq: 1, at, actor: "key:…", action: "customer.created", payload, prevHash: GENESIS_HASH })
 */
export function auditRowHash(row: AuditRowContent): string {
  const content = canonicalJson({
    seq: row.seq,
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    payload: row.payload,
    prevHash: row.prevHash,
  });
  return createHash("sha256").update(content, "utf8").digest("hex");
}

/**
 * The canonical JSON that {@link auditRowHash} hashes, cut around the two values only known at
 * insert time: `head + prevHash + middle + seq + tail` is exactly `canonicalJson(row)`. Lets the
 * database finish the hash in the statement that reads the chain's head (see AuditRepository).
 *
 * @example const { head, middle, tail } = auditHashTemplate({ at, actor, action, payload });
 */
export function auditHashTemplate(row: Omit<AuditRowContent, "seq" | "prevHash">): {
  head: string;
  middle: string;
  tail: string;
} {
  // Placeholders no canonical value can contain unescaped: a 64-hex hash and a safe integer.
  const prevMark = "f".repeat(63) + "e";
  const seqMark = 987654321987654;
  const full = canonicalJson({
    seq: seqMark,
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    payload: row.payload,
    prevHash: prevMark,
  });
  // Keys sort as action, actor, at, payload, prevHash, seq: prevHash and seq come last, in order.
  const prevAt = full.lastIndexOf(`"prevHash":"${prevMark}"`) + '"prevHash":"'.length;
  const seqText = `"seq":${seqMark}}`;
  const seqAt = full.length - seqText.length;
  if (prevAt < '"prevHash":"'.length || full.slice(seqAt) !== seqText) {
    throw new Error("auditHashTemplate: unexpected canonical layout");
  }
  return {
    head: full.slice(0, prevAt),
    middle: full.slice(prevAt + prevMark.length, seqAt + '"seq":'.length),
    tail: "}",
  };
}

/** Result of walking the chain: either intact, or the first row that is not what it claims. */
export type ChainVerdict =
  | { readonly ok: true; readonly rows: number; readonly headHash: string }
  | {
      readonly ok: false;
      readonly rows: number;
      readonly firstBadSeq: number;
      readonly reason: "seq_gap" | "prev_hash_mismatch" | "hash_mismatch";
      readonly message: string;
    };

/**
 * Recomputes the chain over rows in ascending `seq` order and names the first bad row.
 * Rows must start at seq 1 and be contiguous; a deleted row shows up as a gap or a broken link.
 */
export function verifyAuditChain(rows: readonly AuditRow[]): ChainVerdict {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  for (const row of rows) {
    if (row.seq !== expectedSeq) {
      return bad(rows.length, row.seq, "seq_gap", `expected seq ${expectedSeq}, found ${row.seq}`);
    }
    if (row.prevHash !== prevHash) {
      return bad(
        rows.length,
        row.seq,
        "prev_hash_mismatch",
        `row ${row.seq} does not link to row ${row.seq - 1}`,
      );
    }
    if (auditRowHash(row) !== row.hash) {
      return bad(rows.length, row.seq, "hash_mismatch", `row ${row.seq} content does not match its hash`);
    }
    prevHash = row.hash;
    expectedSeq += 1;
  }
  return { ok: true, rows: rows.length, headHash: prevHash };
}

function bad(
  rows: number,
  firstBadSeq: number,
  reason: "seq_gap" | "prev_hash_mismatch" | "hash_mismatch",
  message: string,
): ChainVerdict {
  return { ok: false, rows, firstBadSeq, reason, message };
}

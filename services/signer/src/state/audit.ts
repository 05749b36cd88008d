/**
 * The signer's own audit trail: one JSON line per decision (signed or refused), hash-chained so
 * that deleting or editing a line breaks every later `prev`, appended with fsync.
 */
import { existsSync, readFileSync } from "node:fs";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { appendLinesDurable, writeFileAtomic } from "./files.js";

/** One audit record as written. */
export interface AuditRecord {
  readonly time: string;
  readonly outcome: "signed" | "refused";
  /** `policy` records policy chains the signer accepted or refused. */
  readonly chain: "evm" | "tezos" | "policy";
  readonly keyId: string;
  /** Hex digest of what was (or would have been) signed; null when the bytes did not parse. */
  readonly digest: string | null;
  readonly reason?: string;
  readonly message?: string;
  readonly intent?: string;
  readonly prev: string;
}

const GENESIS = "0".repeat(64);

function hashLine(line: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(line)));
}

/** Append-only, hash-chained JSON-lines log. */
export class AuditLog {
  readonly #path: string;
  #last: string;

  constructor(path: string) {
    this.#path = path;
    this.#last = GENESIS;
    if (existsSync(path)) {
      const text = readFileSync(path, "utf8");
      const lines = text.split("\n").filter((l) => l !== "");
      if (!text.endsWith("\n") && lines.length > 0) {
        // A crash mid-append left a line that was never acknowledged: drop it, keep the chain.
        lines.pop();
        writeFileAtomic(path, lines.map((l) => l + "\n").join(""));
      }
      const tail = lines.at(-1);
      if (tail !== undefined) this.#last = hashLine(tail);
    }
  }

  /** Appends a record and fsyncs. */
  append(record: Omit<AuditRecord, "prev" | "time">): void {
    this.appendMany([record]);
  }

  /** Appends records, chained in order, with one write and one fsync (a batch's decisions). */
  appendMany(records: readonly Omit<AuditRecord, "prev" | "time">[]): void {
    const time = new Date().toISOString();
    let last = this.#last;
    const lines = records.map((record) => {
      const line = JSON.stringify({ time, ...record, prev: last });
      last = hashLine(line);
      return line;
    });
    appendLinesDurable(this.#path, lines);
    this.#last = last;
  }

  /**
   * Checks the chain of a log file.
   *
   * @returns the number of records, or the 1-based line number of the first broken link as a negative number.
   */
  static verify(path: string): number {
    let prev = GENESIS;
    const lines = readFileSync(path, "utf8")
      .split("\n")
      .filter((l) => l !== "");
    for (let i = 0; i < lines.length; i++) {
      const record = JSON.parse(lines[i]!) as AuditRecord;
      if (record.prev !== prev) return -(i + 1);
      prev = hashLine(lines[i]!);
    }
    return lines.length;
  }
}

/**
 * Next expected EVM nonce per (chain id, address), journaled before a signature is returned, so
 * a restart never signs two transactions at one nonce. The journal is JSON lines appended with
 * fsync (one small write per signature); the last line of a key wins. It is compacted, through
 * an atomic rewrite, when it is opened.
 */
import { existsSync, readFileSync } from "node:fs";
import { appendLineDurable, writeFileAtomic } from "./files.js";

const KEY = /^\d+:0x[0-9a-f]{40}$/;

/** Persistent nonce tracker. */
export class NonceStore {
  readonly #path: string;
  readonly #next = new Map<string, bigint>();

  /** @throws {Error} naming the file and line of a corrupt entry. */
  constructor(path: string) {
    this.#path = path;
    if (!existsSync(path)) return;
    const lines = readFileSync(path, "utf8").split("\n");
    lines.forEach((line, i) => {
      if (line.trim() === "") return;
      let entry: { key?: unknown; next?: unknown };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        // Only the very last line can be torn by a crash during an append.
        if (i === lines.length - 1) return;
        throw new Error(`${path}:${i + 1}: corrupt nonce entry`);
      }
      if (
        typeof entry.key !== "string" ||
        !KEY.test(entry.key) ||
        typeof entry.next !== "string" ||
        !/^\d+$/.test(entry.next)
      ) {
        throw new Error(`${path}:${i + 1}: corrupt nonce entry`);
      }
      this.#next.set(entry.key, BigInt(entry.next));
    });
    writeFileAtomic(
      path,
      [...this.#next].map(([key, next]) => JSON.stringify({ key, next: next.toString() }) + "\n").join(""),
    );
  }

  static #key(chainId: bigint, address: string): string {
    return `${chainId}:${address.toLowerCase()}`;
  }

  /** The next nonce to sign at, or undefined when never synced. */
  get(chainId: bigint, address: string): bigint | undefined {
    return this.#next.get(NonceStore.#key(chainId, address));
  }

  /** Sets the next nonce; it is on disk when this returns. */
  set(chainId: bigint, address: string, next: bigint): void {
    const key = NonceStore.#key(chainId, address);
    appendLineDurable(this.#path, JSON.stringify({ key, next: next.toString() }));
    this.#next.set(key, next);
  }
}

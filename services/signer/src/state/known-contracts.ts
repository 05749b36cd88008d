/**
 * Contracts the signer may call: those it learned by signing their origination (appended to a
 * JSON-lines file with fsync) plus an optional operator allowlist file.
 */
import { existsSync, readFileSync } from "node:fs";
import { getAddress } from "ethers";
import { appendLineDurable, writeFileAtomic } from "./files.js";

/** A contract learned from a signed origination. */
export interface LearnedContract {
  readonly chain: "evm" | "tezos";
  /** EVM checksummed address or KT1. */
  readonly address: string;
  /** The hot key the contract was created for (EVM address or tz1). */
  readonly hot: string;
  readonly cold: string;
  readonly learnedAt: string;
  readonly customerId?: string;
  readonly factory?: string;
}

const KT1 = /^KT1[1-9A-HJ-NP-Za-km-z]{33}$/;

function normalise(address: string): string {
  return address.startsWith("0x") || address.startsWith("0X") ? getAddress(address) : address;
}

/** Known contracts of both chains, keyed by address. */
export class KnownContracts {
  readonly #learnedPath: string;
  readonly #hotOf = new Map<string, string>();

  /**
   * @param learnedPath JSON-lines file of learned contracts (created on first append).
   * @param allowlistPath optional text file: one EVM address or KT1 per line, `#` comments.
   * @throws {Error} naming the file and line of a malformed entry.
   */
  constructor(learnedPath: string, allowlistPath?: string) {
    this.#learnedPath = learnedPath;
    if (allowlistPath !== undefined) {
      readFileSync(allowlistPath, "utf8")
        .split("\n")
        .forEach((raw, i) => {
          const line = raw.replace(/#.*/, "").trim();
          if (line === "") return;
          if (!/^0x[0-9a-fA-F]{40}$/.test(line) && !KT1.test(line))
            throw new Error(`${allowlistPath}:${i + 1}: not an address: ${line}`);
          // Operator-listed contracts are not bound to one hot key.
          this.#hotOf.set(normalise(line), "*");
        });
    }
    if (existsSync(learnedPath)) {
      const lines = readFileSync(learnedPath, "utf8").split("\n");
      let torn = false;
      lines.forEach((line, i) => {
        if (line.trim() === "") return;
        let entry: LearnedContract;
        try {
          entry = JSON.parse(line) as LearnedContract;
        } catch {
          // Only the last line can be torn by a crash mid-append; anything else is corruption.
          if (i === lines.length - 1) {
            torn = true;
            return;
          }
          throw new Error(`${learnedPath}:${i + 1}: corrupt line`);
        }
        if (!this.#hotOf.has(entry.address)) this.#hotOf.set(entry.address, entry.hot);
      });
      // Drop the torn tail so the next append starts on a fresh line.
      if (torn) writeFileAtomic(learnedPath, lines.slice(0, -1).join("\n") + (lines.length > 1 ? "\n" : ""));
    }
  }

  /** The hot key a contract belongs to, `"*"` for allowlisted ones, undefined when unknown. */
  hotOf(address: string): string | undefined {
    return this.#hotOf.get(address);
  }

  /** Records a contract durably (fsync) before the signature that creates it is released. */
  learn(entry: LearnedContract): void {
    if (this.#hotOf.has(entry.address)) return;
    appendLineDurable(this.#learnedPath, JSON.stringify(entry));
    this.#hotOf.set(entry.address, entry.hot);
  }
}

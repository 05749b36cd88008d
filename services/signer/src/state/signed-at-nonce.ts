/**
 * What the signer last signed at each recent nonce of each EVM key, journaled like the nonce
 * itself: JSON lines appended with fsync before a signature is released, the last line of a
 * (key, nonce) winning. Only the `window` most recent nonces of a key are kept (older ones can no
 * longer be replaced: a request there is a plain replay); the journal is compacted through an
 * atomic rewrite when it is opened and whenever it has grown to several times what it keeps.
 */
import { existsSync, readFileSync } from "node:fs";
import { appendLinesDurable, writeFileAtomic } from "./files.js";
import type { SignedAtNonce } from "../allowlist/evm-replacement.js";

const KEY = /^\d+:0x[0-9a-f]{40}$/;
const UINT = /^\d+$/;

/** Nonces per key remembered when nothing else is configured. */
export const DEFAULT_REPLACEMENT_WINDOW = 256;

interface Line {
  key: string;
  nonce: string;
  chainId: string;
  type: number;
  to: string;
  value: string;
  dataHash: string;
  gasLimit: string;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
  replacements: number;
}

function toLine(key: string, r: SignedAtNonce): Line {
  return {
    key,
    nonce: r.nonce.toString(),
    chainId: r.chainId.toString(),
    type: r.type,
    to: r.to,
    value: r.value.toString(),
    dataHash: r.dataHash,
    gasLimit: r.gasLimit.toString(),
    maxFeePerGas: r.maxFeePerGas.toString(),
    maxPriorityFeePerGas: r.maxPriorityFeePerGas.toString(),
    replacements: r.replacements,
  };
}

function fromLine(raw: unknown): { key: string; record: SignedAtNonce } | null {
  if (typeof raw !== "object" || raw === null) return null;
  const l = raw as Partial<Record<keyof Line, unknown>>;
  const uints = [l.nonce, l.chainId, l.value, l.gasLimit, l.maxFeePerGas, l.maxPriorityFeePerGas];
  if (
    typeof l.key !== "string" ||
    !KEY.test(l.key) ||
    !uints.every((v) => typeof v === "string" && UINT.test(v)) ||
    typeof l.type !== "number" ||
    typeof l.to !== "string" ||
    !/^0x[0-9a-fA-F]{40}$/.test(l.to) ||
    typeof l.dataHash !== "string" ||
    !/^0x[0-9a-f]{64}$/.test(l.dataHash) ||
    typeof l.replacements !== "number" ||
    !Number.isSafeInteger(l.replacements) ||
    l.replacements < 0
  ) {
    return null;
  }
  return {
    key: l.key,
    record: {
      nonce: BigInt(l.nonce as string),
      chainId: BigInt(l.chainId as string),
      type: l.type,
      to: l.to,
      value: BigInt(l.value as string),
      dataHash: l.dataHash,
      gasLimit: BigInt(l.gasLimit as string),
      maxFeePerGas: BigInt(l.maxFeePerGas as string),
      maxPriorityFeePerGas: BigInt(l.maxPriorityFeePerGas as string),
      replacements: l.replacements,
    },
  };
}

/** Persistent "last signed at this nonce" records, bounded per key. */
export class SignedAtNonceStore {
  readonly #path: string;
  readonly #window: bigint;
  readonly #byKey = new Map<string, Map<bigint, SignedAtNonce>>();
  #linesOnDisk = 0;

  /**
   * @param window nonces remembered per key (at least 1).
   * @throws {Error} naming the file and line of a corrupt entry, or a bad `window`.
   */
  constructor(path: string, window = DEFAULT_REPLACEMENT_WINDOW) {
    if (!Number.isSafeInteger(window) || window < 1)
      throw new Error(`replacement window must be a positive integer, got ${window}`);
    this.#path = path;
    this.#window = BigInt(window);
    if (!existsSync(path)) return;
    const lines = readFileSync(path, "utf8").split("\n");
    lines.forEach((line, i) => {
      if (line.trim() === "") return;
      let parsed: ReturnType<typeof fromLine>;
      try {
        parsed = fromLine(JSON.parse(line));
      } catch {
        // Only the very last line can be torn by a crash during an append.
        if (i === lines.length - 1) return;
        parsed = null;
      }
      if (parsed === null) throw new Error(`${path}:${i + 1}: corrupt signed-at-nonce entry`);
      this.#remember(parsed.key, parsed.record);
    });
    this.#compact();
  }

  static #key(chainId: bigint, address: string): string {
    return `${chainId}:${address.toLowerCase()}`;
  }

  #remember(key: string, record: SignedAtNonce): void {
    let perNonce = this.#byKey.get(key);
    if (perNonce === undefined) this.#byKey.set(key, (perNonce = new Map()));
    perNonce.set(record.nonce, record);
    let highest = record.nonce;
    for (const n of perNonce.keys()) if (n > highest) highest = n;
    // Older than the window: forgotten, so a request there is refused as a plain replay.
    for (const n of [...perNonce.keys()]) if (n <= highest - this.#window) perNonce.delete(n);
  }

  #compact(): void {
    const lines: string[] = [];
    for (const [key, perNonce] of this.#byKey) {
      for (const record of [...perNonce.values()].sort((a, b) => (a.nonce < b.nonce ? -1 : 1)))
        lines.push(JSON.stringify(toLine(key, record)) + "\n");
    }
    writeFileAtomic(this.#path, lines.join(""));
    this.#linesOnDisk = lines.length;
  }

  /** The last transaction signed at `nonce` by `address`, if still remembered. */
  get(chainId: bigint, address: string, nonce: bigint): SignedAtNonce | undefined {
    return this.#byKey.get(SignedAtNonceStore.#key(chainId, address))?.get(nonce);
  }

  /** Records signed transactions (one write, one fsync); they are on disk when this returns. */
  record(chainId: bigint, address: string, records: readonly SignedAtNonce[]): void {
    if (records.length === 0) return;
    const key = SignedAtNonceStore.#key(chainId, address);
    appendLinesDurable(
      this.#path,
      records.map((r) => JSON.stringify(toLine(key, r))),
    );
    for (const r of records) this.#remember(key, r);
    this.#linesOnDisk += records.length;
    let kept = 0;
    for (const perNonce of this.#byKey.values()) kept += perNonce.size;
    // Bounded on disk too, without rewriting the file on every signature.
    if (this.#linesOnDisk > Math.max(1024, 4 * kept)) this.#compact();
  }
}

/**
 * Randomness for the toolkit: the OS CSPRNG, optionally mixed with operator entropy (dice), and
 * an injectable {@link Rng} so every random choice can be replayed in tests.
 */
import { randomBytes as nodeRandomBytes } from "node:crypto";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { InvalidInputError } from "../errors.js";

/** A source of random bytes: returns exactly `n` fresh bytes per call. */
export type Rng = (n: number) => Uint8Array;

const MAX_REQUEST = 1 << 16;

function checkLength(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_REQUEST)
    throw new InvalidInputError("n", `expected a byte count in 1..${MAX_REQUEST}, got ${n}`);
}

/**
 * `n` bytes from the operating system's CSPRNG (`getrandom(2)` via node:crypto).
 * @throws {InvalidInputError} if `n` is not in 1..65536.
 */
export function randomBytes(n: number): Uint8Array {
  checkLength(n);
  return new Uint8Array(nodeRandomBytes(n));
}

/** The OS CSPRNG as an {@link Rng}; the default everywhere a `rng` parameter is optional. */
export const osRng: Rng = randomBytes;

/**
 * Parses dice rolls such as `"3 6 1 4"` or `"3614"` (spaces, commas and newlines are ignored).
 * @returns the rolls as numbers 1..6.
 * @throws {InvalidInputError} naming the 1-based character position of the first bad symbol.
 */
export function parseDiceRolls(text: string): number[] {
  if (typeof text !== "string") throw new InvalidInputError("dice", "expected a string of dice rolls");
  const rolls: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === " " || ch === "," || ch === "\n" || ch === "\r" || ch === "\t") continue;
    if (ch < "1" || ch > "6")
      throw new InvalidInputError(
        "dice",
        `character ${i + 1} is ${JSON.stringify(ch)}: dice rolls must be 1-6`,
      );
    rolls.push(ch.charCodeAt(0) - 48);
  }
  if (rolls.length === 0) throw new InvalidInputError("dice", "no dice rolls given");
  return rolls;
}

/** Entropy in bits carried by `count` fair d6 rolls (log2 6 ≈ 2.585 each). */
export function diceEntropyBits(count: number): number {
  return count * Math.log2(6);
}

const MIX_SALT = utf8ToBytes("coldpath/toolkit/entropy-mix/v1");

/**
 * Mixes OS randomness with operator-supplied dice rolls:
 * `HKDF-SHA512(ikm = osBytes || len || rolls, salt = "coldpath/toolkit/entropy-mix/v1")`.
 *
 * The OS bytes enter the extractor whole, so the output is at least as unpredictable as
 * `osBytes` alone (in the random-oracle model of HMAC) even if the dice are known to an
 * attacker; honest dice add their entropy if the OS generator is weak.
 * @param osBytes - fresh bytes from {@link randomBytes}; at least 32.
 * @param operatorEntropy - dice rolls, validated by {@link parseDiceRolls}.
 * @param length - output length (defaults to `osBytes.length`).
 * @throws {InvalidInputError} on short OS input or a bad dice string.
 * @example
 * const seed = mixEntropy(randomBytes(32), "3 6 1 4 2 5 ...");
 */
export function mixEntropy(
  osBytes: Uint8Array,
  operatorEntropy: string,
  length = osBytes.length,
): Uint8Array {
  if (!(osBytes instanceof Uint8Array) || osBytes.length < 32)
    throw new InvalidInputError("osBytes", `expected at least 32 bytes, got ${osBytes?.length}`);
  checkLength(length);
  const rolls = parseDiceRolls(operatorEntropy);
  const ikm = new Uint8Array(osBytes.length + 4 + rolls.length);
  ikm.set(osBytes, 0);
  new DataView(ikm.buffer).setUint32(osBytes.length, rolls.length);
  ikm.set(rolls, osBytes.length + 4);
  return hkdf(sha512, ikm, MIX_SALT, utf8ToBytes(`length=${length}`), length);
}

/**
 * An {@link Rng} that draws from `base` (the OS by default) and mixes every draw with the same
 * dice rolls through {@link mixEntropy}, with a per-call counter so outputs never repeat.
 * @throws {InvalidInputError} immediately if the dice string is invalid.
 */
export function mixedRng(operatorEntropy: string, base: Rng = osRng): Rng {
  parseDiceRolls(operatorEntropy);
  let counter = 0;
  return (n: number) => {
    checkLength(n);
    counter++;
    const os = base(Math.max(32, n));
    const tagged = new Uint8Array(os.length + 4);
    tagged.set(os);
    new DataView(tagged.buffer).setUint32(os.length, counter);
    return mixEntropy(tagged, operatorEntropy, n);
  };
}

/**
 * A deterministic {@link Rng} for tests only: SHA-512 in counter mode over `seed`.
 * Never use it for real keys.
 */
export function deterministicRng(seed: string | Uint8Array): Rng {
  const seedBytes = typeof seed === "string" ? utf8ToBytes(seed) : seed;
  let counter = 0;
  return (n: number) => {
    checkLength(n);
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 64) {
      const block = new Uint8Array(seedBytes.length + 4);
      block.set(seedBytes);
      new DataView(block.buffer).setUint32(seedBytes.length, counter++);
      const h = sha512(block);
      out.set(h.subarray(0, Math.min(64, n - off)), off);
    }
    return out;
  };
}

/**
 * An {@link Rng} that replays the given byte strings in order (for published test vectors), then
 * refuses further draws.
 * @throws {InvalidInputError} when a draw does not match the next queued length or the queue is empty.
 */
export function replayRng(chunks: Uint8Array[]): Rng {
  const queue = [...chunks];
  return (n: number) => {
    const next = queue.shift();
    if (!next) throw new InvalidInputError("rng", "replay queue exhausted");
    if (next.length !== n)
      throw new InvalidInputError("rng", `replay expected ${next.length} bytes, asked ${n}`);
    return next.slice();
  };
}

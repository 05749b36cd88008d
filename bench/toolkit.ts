// `npm run bench:toolkit`: FROST figures from bench/toolkit-crypto.ts plus the cost of a 3-of-5
// key ceremony, written to bench/results/toolkit.json.
import { rmSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { measureFrost } from "./toolkit-crypto.js";
import { writeResult } from "./lib/results.js";
import { createParty, runCeremony, unlockParty } from "../toolkit/src/ceremony/index.js";
import type { CeremonyCurve, CreatedParty } from "../toolkit/src/ceremony/index.js";
import { DEFAULT_SCRYPT } from "../toolkit/src/crypto/index.js";
import type { PartyKeys } from "../toolkit/src/crypto/index.js";

const NAMES = ["p1", "p2", "p3", "p4", "p5"];
const STRUCTURE = { threshold: 3, of: NAMES };
// Party key files are created once, outside the timed region: the ceremony itself never runs the
// passphrase KDF because the parties unlock their keys before it starts. The production KDF cost
// is measured separately below and reported in `meta`.
const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Median wall time of a full ceremony (generate, split, verify, encrypt, write, sign transcript). */
function measureCeremony(
  curves: CeremonyCurve[],
  runs: number,
  parties: CreatedParty[],
  keys: PartyKeys[],
): number {
  const times: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const dir = mkdtempSync(join(tmpdir(), "cp-bench-"));
    const start = performance.now();
    runCeremony({
      parties: parties.map((p, j) => ({ public: p.public, keys: keys[j] as PartyKeys })),
      structure: STRUCTURE,
      curves,
      outDir: join(dir, "ceremony"),
    });
    const elapsed = performance.now() - start;
    rmSync(dir, { recursive: true, force: true });
    if (i > 0) times.push(elapsed); // the first run warms up the JIT and tables
  }
  return median(times);
}

const CEREMONY_RUNS = 9;
const FROST_ITERATIONS = 60;

const parties = NAMES.map((n) => createParty(n, `bench passphrase ${n}`, { scrypt: TEST_SCRYPT }));
const keys = parties.map((p, i) => unlockParty(p.secret, `bench passphrase ${NAMES[i]}`));

const ceremonyBoth = measureCeremony(["secp256k1", "ed25519"], CEREMONY_RUNS, parties, keys);
const ceremonyOneChain = measureCeremony(["ed25519"], CEREMONY_RUNS, parties, keys);

// Production passphrase KDF: one party key created and unlocked at the default scrypt cost.
const kdfStart = performance.now();
const production = createParty("kdf", "bench passphrase kdf");
const createMs = performance.now() - kdfStart;
const unlockStart = performance.now();
unlockParty(production.secret, "bench passphrase kdf").wipe();
const unlockMs = performance.now() - unlockStart;
for (const k of keys) k.wipe();

const frost = await measureFrost(FROST_ITERATIONS);

const result = {
  frost2of3Ms: frost.frost2of3Ms,
  frost3of5Ms: frost.frost3of5Ms,
  nobleFrost2of3Ms: frost.nobleFrost2of3Ms,
  ed25519SignMs: frost.ed25519SignMs,
  ceremony3of5Ms: round(ceremonyBoth),
  meta: {
    node: process.version,
    date: new Date().toISOString(),
    iterations: { frost: FROST_ITERATIONS, ceremony: CEREMONY_RUNS },
    ceremony:
      "3-of-5, both chains: secp256k1 and Ed25519 current keys plus their successors (4 keys), each generated, " +
      "split, every share verified, encrypted to its party and written; burn registry and transcript signed by " +
      "all 5 parties written; parties unlocked beforehand",
    ceremonyEd25519Only3of5Ms: round(ceremonyOneChain),
    ceremonyEd25519Only: "the same with --curves ed25519 (one current key and its successor)",
    frost2of3IsolatedMs: frost.frost2of3IsolatedMs,
    passphraseKdf: {
      params: { ...DEFAULT_SCRYPT },
      partyCreateMs: round(createMs),
      partyUnlockMs: round(unlockMs),
      note: "production scrypt cost, paid once per party when it unlocks its key file (not inside the ceremony)",
    },
  },
};
const path = writeResult("toolkit", result);
console.log(JSON.stringify(result, null, 2));
console.log(`written to ${path}`);

// Benchmark of the toolkit's FROST(Ed25519) against @noble/curves' ed25519_FROST in the same run.
// `npx tsx bench/toolkit-crypto.ts` prints the JSON; bench/toolkit.ts imports measureFrost().
import { pathToFileURL } from "node:url";
import { writeResult } from "./lib/results.js";
import { ed25519, ed25519_FROST } from "@noble/curves/ed25519.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import type { FrostPublicPackage, PartyShare } from "../toolkit/src/crypto/index.js";
import {
  aggregate,
  clearPointCache,
  commit,
  ed25519Group,
  messageDigest,
  parseAccessStructure,
  randomBytes,
  signShare,
  splitSecret,
  verify,
} from "../toolkit/src/crypto/index.js";

/** Figures returned by {@link measureFrost}, all medians in milliseconds. */
export interface FrostFigures {
  frost2of3Ms: number;
  frost3of5Ms: number;
  nobleFrost2of3Ms: number;
  ed25519SignMs: number;
  /**
   * Same as `frost2of3Ms`, but the validated-point cache is cleared before every role (each
   * signer, the aggregator, the verifier), as if each ran in its own process.
   */
  frost2of3IsolatedMs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function timeIt(iterations: number, warmup: number, fn: () => void): number {
  for (let i = 0; i < warmup; i++) fn();
  const xs: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    fn();
    xs.push(performance.now() - t);
  }
  return Number(median(xs).toFixed(3));
}

function toolkitSession(t: number, n: number, isolated = false): () => void {
  const names = Array.from({ length: n }, (_, i) => `p${i + 1}`);
  const structure = parseAccessStructure({ threshold: t, of: names });
  const dealt = splitSecret(ed25519Group, ed25519Group.randomScalar(randomBytes), structure);
  const pkg: FrostPublicPackage = { structure, commitments: dealt.commitments };
  const signers = names.slice(0, t).map((p) => dealt.shares.get(p) as PartyShare);
  let round = 0;
  return () => {
    const msg = utf8ToBytes(`operation ${round++}`);
    const sessionId = `bench-${round}`;
    const binding = { messageDigest: messageDigest(msg), sessionId };
    const r1 = signers.map((s) => commit(pkg, s, randomBytes, binding));
    const list = r1.map((r) => r.commitment);
    const role = isolated ? clearPointCache : () => undefined;
    const shares = signers.map((s, i) => {
      role();
      return signShare(pkg, s, r1[i]!.nonces, list, msg, sessionId);
    });
    role();
    const sig = aggregate(pkg, list, msg, shares);
    role();
    if (!verify(sig, msg, dealt.publicKey)) throw new Error("toolkit FROST produced an invalid signature");
  };
}

function nobleSession(t: number, n: number): () => void {
  const deal = ed25519_FROST.trustedDealer({ min: t, max: n });
  const ids = Object.keys(deal.secretShares).slice(0, t);
  const pk = deal.public.commitments[0] as Uint8Array;
  let round = 0;
  return () => {
    const msg = utf8ToBytes(`operation ${round++}`);
    const r1 = ids.map((id) => ed25519_FROST.commit(deal.secretShares[id]!));
    const list = r1.map((r) => r.commitments);
    const shares: Record<string, Uint8Array> = {};
    ids.forEach((id, i) => {
      shares[id] = ed25519_FROST.signShare(deal.secretShares[id]!, deal.public, r1[i]!.nonces, list, msg);
    });
    const sig = ed25519_FROST.aggregate(deal.public, list, msg, shares);
    if (!ed25519_FROST.verify(sig, msg, pk)) throw new Error("noble FROST produced an invalid signature");
  };
}

/**
 * Full commit + sign + aggregate + verify for this toolkit (2-of-3, 3-of-5) and for noble's
 * `ed25519_FROST` (2-of-3), plus one plain Ed25519 signature; medians over `iterations` runs.
 */
export async function measureFrost(iterations = 60): Promise<FrostFigures> {
  const ours23 = toolkitSession(2, 3);
  const ours35 = toolkitSession(3, 5);
  const ours23isolated = toolkitSession(2, 3, true);
  const noble23 = nobleSession(2, 3);
  const seed = randomBytes(32);
  const msg = utf8ToBytes("plain signature");
  const warm = Math.max(5, iterations >> 3);
  // Interleave the two 2-of-3 measurements so machine noise hits both alike.
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  for (let round = 0; round < 3; round++) {
    a.push(timeIt(Math.ceil(iterations / 3), warm, ours23));
    b.push(timeIt(Math.ceil(iterations / 3), warm, noble23));
    c.push(timeIt(Math.ceil(iterations / 3), warm, ours23isolated));
  }
  return {
    frost2of3Ms: median(a),
    frost3of5Ms: timeIt(iterations, warm, ours35),
    nobleFrost2of3Ms: median(b),
    ed25519SignMs: timeIt(iterations * 2, warm, () => ed25519.sign(msg, seed)),
    frost2of3IsolatedMs: median(c),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const figures = await measureFrost();
  writeResult("toolkit-crypto", {
    ...figures,
    frostVsNobleRatio: Number((figures.frost2of3Ms / figures.nobleFrost2of3Ms).toFixed(3)),
    isolatedVsNobleRatio: Number((figures.frost2of3IsolatedMs / figures.nobleFrost2of3Ms).toFixed(3)),
    node: process.version,
    measuredAt: new Date().toISOString(),
  });
  console.log(JSON.stringify(figures, null, 2));
}

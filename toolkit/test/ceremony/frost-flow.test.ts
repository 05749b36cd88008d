// What a hostile relay can try against FROST rounds travelling as files, and how each attempt
// is refused. The relay sees only public envelopes and may rewrite them at will (re-checksummed).
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  frostAggregate,
  frostRelay,
  frostRound1,
  frostRound2,
  parseRequest,
  readShareFile,
  runCeremony,
} from "../../src/ceremony/index.js";
import type {
  CeremonyResult,
  Round1Payload,
  Round2Payload,
  SigningPackagePayload,
} from "../../src/ceremony/index.js";
import { createEnvelope } from "../../src/envelope/index.js";
import type { Envelope } from "../../src/envelope/index.js";
import { buildTezosRequest } from "../../src/chains/index.js";
import type { ColdRequest } from "../../src/chains/index.js";
import { IntegrityError, RefusedError } from "../../src/errors.js";
import { makeParties, tempDir, unlock } from "./helpers.js";

const BRANCH = "BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2";

describe("FROST rounds against a hostile relay", () => {
  const names = ["alice", "bob", "carol"];
  let dir: string;
  let result: CeremonyResult;
  let parties: ReturnType<typeof makeParties>;
  let source: string;

  before(() => {
    dir = tempDir("frost");
    parties = makeParties(names, dir);
    result = runCeremony({
      parties: names.map((n) => ({
        public: parties.get(n)!.created.public,
        keys: unlock(parties.get(n)!.created, n),
      })),
      structure: { threshold: 2, of: names },
      curves: ["ed25519"],
      outDir: join(dir, "ceremony"),
    });
    source = result.keys.find((k) => k.id === "tezos-current")!.address;
  });

  const transfer = (counter: string, amount: string): Promise<ColdRequest> =>
    buildTezosRequest({
      operation: {
        branch: BRANCH,
        contents: [
          {
            kind: "transaction",
            source,
            fee: "400",
            counter,
            gasLimit: "1000",
            storageLimit: "0",
            amount,
            destination: result.keys.find((k) => k.id === "tezos-successor")!.address,
          },
        ],
      },
      chainId: "NetXdQprcVkpaWU",
    });

  async function round1(
    request: ColdRequest,
    who: string[],
    store: string,
  ): Promise<Envelope<Round1Payload>[]> {
    const { decoded } = await parseRequest(request);
    return who.map((n) =>
      frostRound1({
        decoded,
        shareFile: readShareFile(result.shareFiles[n]!),
        keys: unlock(parties.get(n)!.created, n),
        nonceStore: join(dir, store),
      }),
    );
  }

  function round2(
    pkg: Envelope<SigningPackagePayload>,
    n: string,
    store: string,
    registry = result.registryFile,
  ) {
    return frostRound2({
      packageEnvelope: pkg,
      shareFile: readShareFile(result.shareFiles[n]!),
      unlock: () => unlock(parties.get(n)!.created, n),
      nonceStore: join(dir, store),
      registryFile: registry,
      confirm: { expectedDigest: (pkg.payload.request as { digest: string }).digest },
    });
  }

  const rewrite = <P extends Record<string, unknown>>(env: Envelope<P>, edit: (p: P) => P): Envelope<P> =>
    createEnvelope<P>(env.type, edit(JSON.parse(JSON.stringify(env.payload)) as P));

  it("refuses a package whose request was swapped after round 1", async () => {
    const request = await transfer("1", "1000");
    const other = await transfer("1", "999000");
    const { decoded } = await parseRequest(request);
    const pkg = frostRelay({ request, decoded, round1: await round1(request, ["alice", "bob"], "s1") });
    const swapped = rewrite(pkg, (p) => ({ ...p, request: other }));
    const before = readFileSync(result.registryFile, "utf8");
    await assert.rejects(
      round2(swapped, "alice", "s1"),
      (e: unknown) => e instanceof RefusedError && e.code === "MESSAGE_MISMATCH",
    );
    assert.equal(readFileSync(result.registryFile, "utf8"), before, "a refused package burns nothing");
  });

  it("refuses a package that changed the signer's own commitment", async () => {
    const request = await transfer("2", "1000");
    const { decoded } = await parseRequest(request);
    const first = await round1(request, ["alice", "bob"], "s2");
    const extra = await round1(request, ["alice"], "s2-other");
    const pkg = frostRelay({ request, decoded, round1: first });
    const forged = rewrite(pkg, (p) => ({
      ...p,
      signers: p.signers.map((s) =>
        s.party === "alice" ? { ...s, commitment: extra[0]!.payload.commitment } : s,
      ),
    }));
    await assert.rejects(
      round2(forged, "alice", "s2"),
      (e: unknown) => e instanceof RefusedError && e.code === "COMMITMENT_MISMATCH",
    );
  });

  it("refuses a package carrying another key's commitments", async () => {
    const request = await transfer("3", "1000");
    const { decoded } = await parseRequest(request);
    const pkg = frostRelay({ request, decoded, round1: await round1(request, ["alice", "bob"], "s3") });
    const successorCommitments = readShareFile(result.shareFiles.alice!).envelope.payload.keys.find(
      (k) => k.id === "tezos-successor",
    )!.commitments;
    const forged = rewrite(pkg, (p) => ({ ...p, commitments: successorCommitments }));
    await assert.rejects(round2(forged, "alice", "s3"), IntegrityError);
  });

  it("names a tampered signature share and refuses shares of another package", async () => {
    const request = await transfer("4", "1000");
    const { decoded } = await parseRequest(request);
    const pkg = frostRelay({ request, decoded, round1: await round1(request, ["alice", "carol"], "s4") });
    const shares: Envelope<Round2Payload>[] = [];
    for (const n of ["alice", "carol"]) shares.push((await round2(pkg, n, "s4")).envelope);
    const bad = rewrite(shares[1]!, (p) => ({
      ...p,
      share: { ...p.share, share: "01" + p.share.share.slice(2) },
    }));
    await assert.rejects(
      frostAggregate({ packageEnvelope: pkg, round2: [shares[0]!, bad] }),
      (e: unknown) => e instanceof IntegrityError && /carol/.test(e.message),
    );
    const relabelled = rewrite(shares[1]!, (p) => ({ ...p, packageDigest: "00".repeat(32) }));
    await assert.rejects(
      frostAggregate({ packageEnvelope: pkg, round2: [shares[0]!, relabelled] }),
      /different signing package/,
    );
    const signed = await frostAggregate({ packageEnvelope: pkg, round2: shares });
    assert.equal(signed.payload.source, source);
  });

  it("refuses a relay set of one", async () => {
    const request = await transfer("5", "1000");
    const { decoded } = await parseRequest(request);
    assert.throws(() => frostRelay({ request, decoded, round1: [] }), /no round-1 envelopes/);
    const one = await round1(request, ["bob"], "s5");
    assert.throws(
      () => frostRelay({ request, decoded, round1: one }),
      /needs 2 of \{alice, bob, carol\}, has 1/,
    );
    assert.throws(() => frostRelay({ request, decoded, round1: [one[0]!, one[0]!] }), /appears twice/);
  });
});

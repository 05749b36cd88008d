// End to end through files, as a recovery team runs it: ceremony, transcript check, EVM cold
// signing by reassembly, Tezos FROST rounds through envelope files, burn, sweep.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { Transaction, recoverAddress, Signature } from "ethers";
import { verifySignature } from "@taquito/utils";
import {
  coldSignEvm,
  frostAggregate,
  frostRelay,
  frostRound1,
  frostRound2,
  linkCeremonies,
  parseRequest,
  prepareSweep,
  readShareFile,
  runCeremony,
  verifyTranscript,
} from "../../src/ceremony/index.js";
import type { CeremonyResult, Round1Payload, SigningPackagePayload } from "../../src/ceremony/index.js";
import { readEnvelopeFile, writeEnvelopeFile } from "../../src/envelope/index.js";
import type { Envelope } from "../../src/envelope/index.js";
import { buildEvmRequest, buildTezosRequest } from "../../src/chains/index.js";
import type { ColdRequest } from "../../src/chains/index.js";
import { InvalidInputError, RefusedError } from "../../src/errors.js";
import { makeParties, tempDir, unlock } from "../ceremony/helpers.js";

const STRANGER = "0x000000000000000000000000000000000000dEaD";
const KT1 = "KT1PWx2mnDueood7fEmfbBDKx1D9BAnnXitn";
const BRANCH = "BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2";
const MAINNET = "NetXdQprcVkpaWU";
const FLAT = { threshold: 2, of: ["alice", "bob", "carol"] };
const HIERARCHY = {
  all: [{ threshold: 2, of: ["alice", "bob", "carol"] }, { any: ["server-1", "server-2"] }, "head"],
};

interface Setup {
  dir: string;
  result: CeremonyResult;
  parties: ReturnType<typeof makeParties>;
}

function setup(structure: unknown, names: string[]): Setup {
  const dir = tempDir("e2e");
  const parties = makeParties(names, dir);
  const result = runCeremony({
    parties: names.map((n) => ({
      public: parties.get(n)!.created.public,
      keys: unlock(parties.get(n)!.created, n),
    })),
    structure,
    outDir: join(dir, "ceremony"),
    contracts: { tezos: [KT1] },
  });
  return { dir, result, parties };
}

const address = (s: Setup, id: string): string => s.result.keys.find((k) => k.id === id)!.address;

function holders(s: Setup, names: string[]) {
  return names.map((n) => ({
    shareFile: readShareFile(s.result.shareFiles[n]!),
    unlock: () => unlock(s.parties.get(n)!.created, n),
  }));
}

function evmRequest(from: string, nonce: number, to = STRANGER, value = "1000000000000000"): ColdRequest {
  return buildEvmRequest({
    tx: {
      chainId: "1",
      nonce: String(nonce),
      maxPriorityFeePerGas: "1000000000",
      maxFeePerGas: "30000000000",
      gasLimit: "21000",
      to,
      value,
      data: "0x",
    },
    from,
  });
}

async function signEvm(s: Setup, request: ColdRequest, names: string[]) {
  const { decoded } = await parseRequest(request);
  if (decoded.kind !== "evm-transaction") throw new Error("unreachable");
  return coldSignEvm({
    request,
    decoded,
    holders: holders(s, names),
    registryFile: s.result.registryFile,
    confirm: { expectedDigest: decoded.digest },
  });
}

async function withdrawRequest(source: string, counter: string, destination = KT1): Promise<ColdRequest> {
  return buildTezosRequest({
    operation: {
      branch: BRANCH,
      contents: [
        {
          kind: "transaction",
          source,
          fee: "1500",
          counter,
          gasLimit: "5000",
          storageLimit: "0",
          amount: "0",
          destination,
          parameters: { entrypoint: "withdraw", value: { int: "2500000" } },
        },
      ],
    },
    chainId: MAINNET,
  });
}

async function transferRequest(source: string, counter: string, destination: string): Promise<ColdRequest> {
  return buildTezosRequest({
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
          amount: "1000000",
          destination,
        },
      ],
    },
    chainId: MAINNET,
  });
}

/** Runs FROST through envelope files in `work`, each signer with its own nonce store. */
async function frostThroughFiles(s: Setup, request: ColdRequest, names: string[], work: string) {
  mkdirSync(work, { recursive: true });
  const { decoded } = await parseRequest(request);
  const round1Files = names.map((n) => {
    const env = frostRound1({
      decoded,
      shareFile: readShareFile(s.result.shareFiles[n]!),
      keys: unlock(s.parties.get(n)!.created, n),
      nonceStore: join(s.dir, "nonces"),
      registryFile: s.result.registryFile,
    });
    const file = join(work, `round1-${n}.json`);
    writeEnvelopeFile(file, env);
    return file;
  });
  const pkg = frostRelay({
    request,
    decoded,
    round1: round1Files.map((f) => readEnvelopeFile<Round1Payload>(f, "round1")),
  });
  const pkgFile = join(work, "package.json");
  writeEnvelopeFile(pkgFile, pkg);
  const round2Files: string[] = [];
  for (const party of pkg.payload.signers.map((x) => x.party)) {
    const { envelope } = await frostRound2({
      packageEnvelope: readEnvelopeFile<SigningPackagePayload>(pkgFile, "signing-package"),
      shareFile: readShareFile(s.result.shareFiles[party]!),
      unlock: () => unlock(s.parties.get(party)!.created, party),
      nonceStore: join(s.dir, "nonces"),
      registryFile: s.result.registryFile,
      confirm: { expectedDigest: decoded.digest },
      expectedRequest: decoded,
    });
    const file = join(work, `round2-${party}.json`);
    writeEnvelopeFile(file, envelope);
    round2Files.push(file);
  }
  const signed = await frostAggregate({
    packageEnvelope: readEnvelopeFile<SigningPackagePayload>(pkgFile, "signing-package"),
    round2: round2Files.map((f) => readEnvelopeFile(f, "round2")) as never,
  });
  return { signed, pkgFile, decoded, signers: pkg.payload.signers.map((x) => x.party) };
}

describe("recovery end to end, 2 of {alice, bob, carol}", () => {
  let s: Setup;
  before(() => {
    s = setup(FLAT, ["alice", "bob", "carol"]);
  });

  it("verifies the ceremony transcript", () => {
    const report = verifyTranscript(s.result.transcriptFile, {
      requireAllSignatures: true,
      registry: s.result.registryFile,
    });
    assert.equal(report.keys.length, 4);
  });

  it("signs an EIP-1559 request with alice and carol, verified by ethers", async () => {
    const from = address(s, "evm-current");
    const request = evmRequest(from, 0);
    const { envelope } = await signEvm(s, request, ["alice", "carol"]);
    const tx = Transaction.from(envelope.payload.raw);
    assert.equal(tx.from, from);
    assert.equal(tx.to, STRANGER);
    assert.equal(tx.hash, envelope.payload.hash);
    assert.equal(recoverAddress(tx.unsignedHash, Signature.from(tx.signature!)), from);
    assert.equal(tx.unsignedHash, request.digest);
  });

  it("refuses an unqualified set before asking any passphrase", async () => {
    const from = address(s, "evm-current");
    let asked = false;
    const { decoded } = await parseRequest(evmRequest(from, 0));
    await assert.rejects(
      coldSignEvm({
        request: evmRequest(from, 0),
        decoded: decoded as never,
        holders: [
          {
            shareFile: readShareFile(s.result.shareFiles.bob!),
            unlock: () => ((asked = true), unlock(s.parties.get("bob")!.created, "bob")),
          },
        ],
        registryFile: s.result.registryFile,
        confirm: { expectedDigest: decoded.digest },
      }),
      (e: unknown) =>
        e instanceof InvalidInputError && /needs 2 of \{alice, bob, carol\}, has 1/.test(e.message),
    );
    assert.equal(asked, false);
  });

  it("refuses a second, non-sweep request with the burned key", async () => {
    const from = address(s, "evm-current");
    await assert.rejects(
      signEvm(s, evmRequest(from, 1), ["alice", "bob"]),
      (e: unknown) => e instanceof RefusedError && e.code === "KEY_BURNED",
    );
  });

  it("prepares the EVM sweep to the successor and may sign it after the burn", async () => {
    const out = join(s.dir, "sweep-evm");
    mkdirSync(out);
    const { requests, plan } = await prepareSweep({
      registryFile: s.result.registryFile,
      key: address(s, "evm-current"),
      params: {
        chain: "evm",
        chainId: "1",
        nonce: "1",
        maxFeePerGas: "30000000000",
        maxPriorityFeePerGas: "1000000000",
        ethBalance: "5000000000000000",
      },
      outDir: out,
    });
    assert.equal(plan.payload.successor, address(s, "evm-successor"));
    assert.equal(requests.length, 1);
    const { envelope } = await signEvm(s, requests[0]!, ["bob", "carol"]);
    assert.equal(Transaction.from(envelope.payload.raw).to, address(s, "evm-successor"));
    await assert.rejects(
      prepareSweep({
        registryFile: s.result.registryFile,
        key: address(s, "evm-current"),
        params: {
          chain: "evm",
          chainId: "1",
          nonce: "1",
          maxFeePerGas: "1",
          maxPriorityFeePerGas: "1",
          ethBalance: "1",
          successor: STRANGER,
        },
        outDir: out,
      }),
      (e: unknown) => e instanceof RefusedError && e.code === "SUCCESSOR_MISMATCH",
    );
  });

  it("signs a Tezos %withdraw with FROST rounds through files, verified by Taquito", async () => {
    const source = address(s, "tezos-current");
    const request = await withdrawRequest(source, "10");
    const { signed, pkgFile, decoded } = await frostThroughFiles(
      s,
      request,
      ["bob", "carol"],
      join(s.dir, "frost1"),
    );
    const p = signed.payload;
    const forged = p.signedBytes.slice(0, -128);
    assert.equal(`0x${forged}`, request.unsigned);
    assert.ok(verifySignature(forged, p.publicKey, p.signature, new Uint8Array([3])));
    assert.ok(
      !verifySignature(
        forged.replace(/.$/, (c) => (c === "0" ? "1" : "0")),
        p.publicKey,
        p.signature,
        new Uint8Array([3]),
      ),
    );

    // Same package again: the nonce was consumed, so bob cannot sign twice.
    await assert.rejects(
      frostRound2({
        packageEnvelope: readEnvelopeFile<SigningPackagePayload>(pkgFile, "signing-package"),
        shareFile: readShareFile(s.result.shareFiles.bob!),
        unlock: () => unlock(s.parties.get("bob")!.created, "bob"),
        nonceStore: join(s.dir, "nonces"),
        registryFile: s.result.registryFile,
        confirm: { expectedDigest: decoded.digest },
      }),
      (e: unknown) => e instanceof RefusedError && e.code === "NONCE_REUSED",
    );
  });

  it("refuses a second Tezos request with the burned key, at round 1", async () => {
    const source = address(s, "tezos-current");
    const request = await transferRequest(source, "11", "tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx");
    await assert.rejects(
      frostThroughFiles(s, request, ["alice", "bob"], join(s.dir, "frost2")),
      (e: unknown) => e instanceof RefusedError && e.code === "KEY_BURNED",
    );
  });

  it("prepares and FROST-signs the Tezos sweep to the successor", async () => {
    const out = join(s.dir, "sweep-tz");
    mkdirSync(out);
    const { requests, plan } = await prepareSweep({
      registryFile: s.result.registryFile,
      key: address(s, "tezos-current"),
      params: {
        chain: "tezos",
        chainId: MAINNET,
        branch: BRANCH,
        counter: "11",
        balance: "3000000",
        transfer: { fee: "500", gasLimit: "1500", storageLimit: "0" },
      },
      outDir: out,
    });
    assert.equal(plan.payload.successor, address(s, "tezos-successor"));
    const { signed } = await frostThroughFiles(
      s,
      requests.at(-1)!,
      ["alice", "carol"],
      join(s.dir, "frost3"),
    );
    const p = signed.payload;
    assert.ok(verifySignature(p.signedBytes.slice(0, -128), p.publicKey, p.signature, new Uint8Array([3])));
  });
});

describe("successor activation", () => {
  it("links the swept-to successor to a later ceremony: it signs once, then may only sweep onwards", async () => {
    const first = setup(FLAT, ["alice", "bob", "carol"]);
    const second = setup(FLAT, ["alice", "bob", "carol"]);
    const successor = address(first, "evm-successor");
    await assert.rejects(
      signEvm(first, evmRequest(successor, 0), ["alice", "bob"]),
      (e: unknown) => e instanceof RefusedError && e.code === "KEY_NOT_REGISTERED",
    );
    const links = linkCeremonies({
      previousTranscript: first.result.transcriptFile,
      nextTranscript: second.result.transcriptFile,
      registryFile: first.result.registryFile,
    });
    assert.deepEqual(
      links.filter((l) => l.chain === "evm"),
      [
        { chain: "evm", key: successor, successor: address(second, "evm-current") },
        { chain: "evm", key: address(second, "evm-current"), successor: address(second, "evm-successor") },
      ],
    );
    const { envelope } = await signEvm(first, evmRequest(successor, 0), ["alice", "bob"]);
    assert.equal(Transaction.from(envelope.payload.raw).from, successor);
    await assert.rejects(
      signEvm(first, evmRequest(successor, 1), ["alice", "bob"]),
      (e: unknown) => e instanceof RefusedError && e.code === "KEY_BURNED",
    );
    const onwards = evmRequest(successor, 1, address(second, "evm-current"));
    await signEvm(first, onwards, ["bob", "carol"]);
    const third = setup(FLAT, ["alice", "bob", "carol"]);
    assert.throws(
      () =>
        linkCeremonies({
          previousTranscript: first.result.transcriptFile,
          nextTranscript: third.result.transcriptFile,
          registryFile: first.result.registryFile,
        }),
      (e: unknown) => e instanceof RefusedError && e.code === "SUCCESSOR_ALREADY_RECORDED",
    );
  });
});

describe("recovery end to end, 2 of {alice, bob, carol} AND 1 of {server-1, server-2} AND head", () => {
  const names = ["alice", "bob", "carol", "server-1", "server-2", "head"];
  let s: Setup;
  before(() => {
    s = setup(HIERARCHY, names);
  });

  it("signs EVM with a qualified set and refuses one without the head", async () => {
    const from = address(s, "evm-current");
    await assert.rejects(
      signEvm(s, evmRequest(from, 0), ["alice", "bob", "carol", "server-1"]),
      /root\.3|head/,
    );
    const { envelope } = await signEvm(s, evmRequest(from, 0), ["bob", "carol", "server-2", "head"]);
    assert.equal(Transaction.from(envelope.payload.raw).from, from);
  });

  it("signs Tezos with FROST over the hierarchical structure, leaving out idle signers", async () => {
    const source = address(s, "tezos-current");
    const request = await withdrawRequest(source, "5");
    const { signed, signers } = await frostThroughFiles(
      s,
      request,
      ["alice", "carol", "server-1", "server-2", "head"],
      join(s.dir, "f"),
    );
    assert.ok(signers.includes("head") && signers.includes("alice") && signers.includes("carol"));
    const p = signed.payload;
    assert.ok(verifySignature(p.signedBytes.slice(0, -128), p.publicKey, p.signature, new Uint8Array([3])));
  });

  it("refuses a relay set without the head", async () => {
    const source = address(s, "tezos-current");
    const request = await withdrawRequest(source, "5");
    await assert.rejects(
      frostThroughFiles(s, request, ["alice", "carol", "server-1"], join(s.dir, "g")),
      /not a qualified set/,
    );
  });
});

export type { Envelope };

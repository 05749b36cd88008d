/**
 * The replacement rule (decision 0963): at a nonce it has already signed, the hot signer signs
 * again only the same call with both fee fields raised by at least 12.5 %, within its caps, a
 * bounded number of times, and remembers the replacement durably as the new "last signed".
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Transaction, getAddress, keccak256 } from "ethers";
import { PolicyRefusedError } from "../src/errors.js";
import { HotSignerCore } from "../src/signer.js";
import { NonceStore } from "../src/state/nonces.js";
import { SignedAtNonceStore } from "../src/state/signed-at-nonce.js";
import { PolicyGate } from "../src/policy/gate.js";
import { checkReplacement, minimumReplacementFee, signedRecord } from "../src/allowlist/evm-replacement.js";
import type { SignedAtNonce } from "../src/allowlist/evm-replacement.js";
import { startSignerServer } from "../src/http/server.js";
import { SignerClient } from "../src/client.js";
import {
  EVM_POLICY,
  createProxyTx,
  journaledNonce,
  makeFixture,
  proxyAbi,
  tempDir,
  unsignedTx,
} from "./helpers/fixture.js";
import type { Fixture } from "./helpers/fixture.js";
import { TOKEN } from "./helpers/server.js";

const GWEI = 1_000_000_000n;
const OTHER = getAddress("0x" + "5a".repeat(20));

async function refused(p: Promise<unknown>, reason: string, field?: string): Promise<PolicyRefusedError> {
  let caught: PolicyRefusedError | undefined;
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof PolicyRefusedError, `expected a policy refusal, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    if (field !== undefined) assert.equal(err.field, field, err.message);
    caught = err;
    return true;
  });
  return caught!;
}

interface Rig {
  readonly f: Fixture;
  readonly core: HotSignerCore;
  readonly proxy: string;
  readonly journal: string;
  /** An unsigned `lock(wad)` to the learned proxy. */
  lock(nonce: number, fees: { fee: bigint; tip: bigint }, extra?: Parameters<typeof unsignedTx>[0]): string;
}

/** A core with the replacement journal, a proxy learned at nonce 0 and `OTHER` allowlisted. */
async function rig(opts: { maxReplacements?: number; window?: number } = {}): Promise<Rig> {
  const dir = tempDir("coldpath-replacement-");
  const allowlist = join(dir, "allowlist.txt");
  writeFileSync(allowlist, `${OTHER}\n`);
  const f = await makeFixture({ allowlist });
  const journal = join(f.dir, "signed-at-nonce.jsonl");
  const core = new HotSignerCore({
    ...f.deps,
    evm: {
      ...EVM_POLICY,
      ...(opts.maxReplacements !== undefined ? { maxReplacements: opts.maxReplacements } : {}),
    },
    signed: new SignedAtNonceStore(journal, opts.window),
  });
  const { intent } = await core.signEvm("evm-hot", createProxyTx(f.evmAddress, 0));
  return {
    f,
    core,
    proxy: intent.proxy,
    journal,
    lock: (nonce, { fee, tip }, extra = {}) =>
      unsignedTx({
        to: intent.proxy,
        nonce,
        maxFeePerGas: fee,
        maxPriorityFeePerGas: tip,
        data: proxyAbi.encodeFunctionData("lock", [1n]),
        ...extra,
      }),
  };
}

const first = { fee: 10n * GWEI, tip: 1n * GWEI };
const bumped = { fee: minimumReplacementFee(first.fee), tip: minimumReplacementFee(first.tip) };

describe("minimumReplacementFee", () => {
  it("is 112.5 % rounded up, in integers", () => {
    assert.equal(minimumReplacementFee(8n), 9n);
    assert.equal(minimumReplacementFee(1000n), 1125n);
    assert.equal(minimumReplacementFee(1001n), 1127n); // 1126.125 rounds up
    assert.equal(minimumReplacementFee(1n), 2n);
    assert.equal(minimumReplacementFee(0n), 0n);
    assert.equal(minimumReplacementFee(10n * GWEI), 11_250_000_000n);
  });
});

describe("checkReplacement names the first field that differs", () => {
  const original = Transaction.from(
    unsignedTx({ to: OTHER, nonce: 7, data: "0x1234", maxFeePerGas: 1000n, maxPriorityFeePerGas: 100n }),
  );
  const previous: SignedAtNonce = signedRecord(original, 0);
  const fees = { maxFeePerGas: 1125n, maxPriorityFeePerGas: 113n };
  const cases: [string, Partial<SignedAtNonce>][] = [
    ["chainId", { chainId: 1n }],
    ["type", { type: 1 }],
    ["to", { to: getAddress("0x" + "66".repeat(20)) }],
    ["value", { value: 1n }],
    ["data", { dataHash: keccak256("0x1235") }],
    ["gasLimit", { gasLimit: 1n }],
  ];
  for (const [field, differs] of cases) {
    it(`refuses a different ${field}`, () => {
      const tx = Transaction.from(original.unsignedSerialized);
      tx.maxFeePerGas = fees.maxFeePerGas;
      tx.maxPriorityFeePerGas = fees.maxPriorityFeePerGas;
      assert.throws(
        () => checkReplacement({ ...previous, ...differs }, tx, 7n, 8n, 10),
        (err: unknown) =>
          err instanceof PolicyRefusedError &&
          err.reason === "EVM_NONCE_REPLACEMENT_REFUSED" &&
          err.field === field,
      );
    });
  }

  it("accepts the same call with both fees at 112.5 % and counts it", () => {
    const tx = Transaction.from(original.unsignedSerialized);
    tx.maxFeePerGas = fees.maxFeePerGas;
    tx.maxPriorityFeePerGas = fees.maxPriorityFeePerGas;
    const next = checkReplacement(previous, tx, 7n, 8n, 10);
    assert.equal(next.replacements, 1);
    assert.equal(next.maxFeePerGas, 1125n);
  });

  it("treats a nonce it does not remember as a plain replay", () => {
    assert.throws(
      () => checkReplacement(undefined, original, 7n, 8n, 10),
      (err: unknown) => err instanceof PolicyRefusedError && err.reason === "EVM_NONCE_REPLAY",
    );
  });
});

describe("HotSignerCore replacements at a used nonce", () => {
  let r: Rig;
  before(async () => {
    r = await rig();
  });

  it("signs a fee bump of the same call at 112.5 % and leaves the next nonce where it was", async () => {
    const original = await r.core.signEvm("evm-hot", r.lock(1, first));
    assert.equal(journaledNonce(r.f.dir, r.f.evmAddress), 2);
    const replacement = await r.core.signEvm("evm-hot", r.lock(1, bumped));
    const tx = Transaction.from(replacement.signedTx);
    assert.equal(tx.nonce, 1);
    assert.equal(tx.from, r.f.evmAddress);
    assert.equal(tx.maxFeePerGas, 11_250_000_000n);
    assert.notEqual(replacement.hash, original.hash);
    assert.equal(journaledNonce(r.f.dir, r.f.evmAddress), 2, "a replacement allocates no nonce");
    const last = readFileSync(r.journal, "utf8").trim().split("\n").at(-1)!;
    assert.deepEqual(
      { nonce: JSON.parse(last).nonce, replacements: JSON.parse(last).replacements },
      { nonce: "1", replacements: 1 },
    );
    const audit = readFileSync(join(r.f.dir, "audit.jsonl"), "utf8").trim().split("\n").at(-1)!;
    assert.match(String(JSON.parse(audit).message), /^replacement 1 at nonce 1/);
  });

  it("judges the next replacement against the last one signed, not the first (boundary triplet)", async () => {
    const needed = { fee: minimumReplacementFee(bumped.fee), tip: minimumReplacementFee(bumped.tip) };
    await refused(
      r.core.signEvm("evm-hot", r.lock(1, { fee: needed.fee - 1n, tip: needed.tip })),
      "EVM_NONCE_REPLACEMENT_REFUSED",
      "maxFeePerGas",
    );
    await refused(
      r.core.signEvm("evm-hot", r.lock(1, { fee: needed.fee, tip: needed.tip - 1n })),
      "EVM_NONCE_REPLACEMENT_REFUSED",
      "maxPriorityFeePerGas",
    );
    // Above the first signature's 112.5 %, below the last one's: still refused.
    await refused(
      r.core.signEvm("evm-hot", r.lock(1, { fee: needed.fee, tip: bumped.tip + 1n })),
      "EVM_NONCE_REPLACEMENT_REFUSED",
      "maxPriorityFeePerGas",
    );
    await r.core.signEvm("evm-hot", r.lock(1, needed));
    await r.core.signEvm(
      "evm-hot",
      r.lock(1, { fee: minimumReplacementFee(needed.fee) + 1n, tip: minimumReplacementFee(needed.tip) + 1n }),
    );
  });

  it("refuses a different target, calldata or gas limit, naming the field", async () => {
    await r.core.signEvm("evm-hot", r.lock(2, first));
    await refused(
      r.core.signEvm("evm-hot", r.lock(2, bumped, { to: OTHER })),
      "EVM_NONCE_REPLACEMENT_REFUSED",
      "to",
    );
    await refused(
      r.core.signEvm("evm-hot", r.lock(2, bumped, { data: proxyAbi.encodeFunctionData("lock", [2n]) })),
      "EVM_NONCE_REPLACEMENT_REFUSED",
      "data",
    );
    await refused(
      r.core.signEvm("evm-hot", r.lock(2, bumped, { gasLimit: 300_001n })),
      "EVM_NONCE_REPLACEMENT_REFUSED",
      "gasLimit",
    );
  });

  it("refuses value, chain id and type changes through the allowlist before the rule", async () => {
    await refused(r.core.signEvm("evm-hot", r.lock(2, bumped, { value: 1n })), "EVM_VALUE", "value");
    await refused(r.core.signEvm("evm-hot", r.lock(2, bumped, { chainId: 1n })), "EVM_CHAIN_ID", "chainId");
    const legacy = Transaction.from({
      type: 0,
      chainId: 31337n,
      nonce: 2,
      to: r.proxy,
      gasPrice: 20n * GWEI,
      gasLimit: 300_000n,
      data: proxyAbi.encodeFunctionData("lock", [1n]),
    }).unsignedSerialized;
    await refused(r.core.signEvm("evm-hot", legacy), "EVM_TX_TYPE");
  });

  it("refuses the exact bytes already signed as a replay", async () => {
    await refused(r.core.signEvm("evm-hot", r.lock(2, first)), "EVM_NONCE_REPLAY", "nonce");
  });

  it("keeps the signer's fee cap: a replacement above it is refused and changes nothing", async () => {
    const before = readFileSync(r.journal, "utf8");
    await refused(
      r.core.signEvm("evm-hot", r.lock(2, { fee: EVM_POLICY.maxFeePerGas + 1n, tip: bumped.tip })),
      "EVM_MAX_FEE",
      "maxFeePerGas",
    );
    assert.equal(readFileSync(r.journal, "utf8"), before);
    // The limit itself is allowed: boundary.
    await r.core.signEvm("evm-hot", r.lock(2, { fee: EVM_POLICY.maxFeePerGas, tip: bumped.tip }));
    assert.equal(journaledNonce(r.f.dir, r.f.evmAddress), 3);
  });

  it("refuses a nonce it no longer remembers (resynced past it) as a replay", async () => {
    await r.core.resyncNonce("evm-hot", 10n);
    await refused(r.core.signEvm("evm-hot", r.lock(5, bumped)), "EVM_NONCE_REPLAY", "nonce");
    await refused(r.core.signEvm("evm-hot", r.lock(11, first)), "EVM_NONCE_GAP");
  });
});

describe("limits on replacements", () => {
  it("signs at most maxReplacements replacements per nonce", async () => {
    const r = await rig({ maxReplacements: 2 });
    let fees = first;
    await r.core.signEvm("evm-hot", r.lock(1, fees));
    for (let i = 0; i < 2; i++) {
      fees = { fee: minimumReplacementFee(fees.fee), tip: minimumReplacementFee(fees.tip) };
      await r.core.signEvm("evm-hot", r.lock(1, fees));
    }
    fees = { fee: minimumReplacementFee(fees.fee), tip: minimumReplacementFee(fees.tip) };
    await refused(
      r.core.signEvm("evm-hot", r.lock(1, fees)),
      "EVM_NONCE_REPLACEMENT_REFUSED",
      "replacements",
    );
    // The count is per nonce: the next nonce is unaffected.
    await r.core.signEvm("evm-hot", r.lock(2, first));
    await r.core.signEvm("evm-hot", r.lock(2, bumped));
  });

  it("forgets nonces older than the window and keeps the journal bounded when reopened", async () => {
    const r = await rig({ window: 3 });
    for (let n = 1; n <= 6; n++) await r.core.signEvm("evm-hot", r.lock(n, first));
    await refused(r.core.signEvm("evm-hot", r.lock(3, bumped)), "EVM_NONCE_REPLAY");
    await r.core.signEvm("evm-hot", r.lock(4, bumped));
    const reopened = new SignedAtNonceStore(r.journal, 3);
    assert.equal(reopened.get(31337n, r.f.evmAddress, 3n), undefined);
    assert.equal(reopened.get(31337n, r.f.evmAddress, 4n)?.replacements, 1);
    assert.equal(readFileSync(r.journal, "utf8").trim().split("\n").length, 3, "compacted to the window");
  });
});

describe("durability and the policy gate", () => {
  it("judges replacements after a restart against the journal, ignoring a torn last line", async () => {
    const r = await rig();
    await r.core.signEvm("evm-hot", r.lock(1, first));
    await r.core.signEvm("evm-hot", r.lock(1, bumped));
    appendFileSync(r.journal, '{"key":"31337:0x');
    const restarted = new HotSignerCore({
      ...r.f.deps,
      nonces: new NonceStore(join(r.f.dir, "nonces.jsonl")),
      signed: new SignedAtNonceStore(r.journal),
    });
    const needed = { fee: minimumReplacementFee(bumped.fee), tip: minimumReplacementFee(bumped.tip) };
    await refused(
      restarted.signEvm("evm-hot", r.lock(1, { fee: needed.fee - 1n, tip: needed.tip })),
      "EVM_NONCE_REPLACEMENT_REFUSED",
      "maxFeePerGas",
    );
    await restarted.signEvm("evm-hot", r.lock(1, needed));
    assert.equal((await restarted.listKeys()).find((k) => k.keyId === "evm-hot")!.nextNonce, "2");
  });

  it("refuses a corrupt journal line that is not the last one", async () => {
    const dir = tempDir("coldpath-replacement-corrupt-");
    const path = join(dir, "j.jsonl");
    writeFileSync(path, '{"key":"nope"}\n{}\n');
    assert.throws(() => new SignedAtNonceStore(path), /j\.jsonl:1: corrupt signed-at-nonce entry/);
  });

  it("applies the policy gate to replacements too", async () => {
    const r = await rig();
    await r.core.signEvm("evm-hot", r.lock(1, first));
    const journalBefore = readFileSync(r.journal, "utf8");
    const gated = new HotSignerCore({
      ...r.f.deps,
      signed: new SignedAtNonceStore(r.journal),
      policy: new PolicyGate({ genesis: null, dataDir: tempDir("coldpath-replacement-gate-") }),
    });
    await refused(gated.signEvm("evm-hot", r.lock(1, bumped)), "POLICY_NOT_ACTIVE");
    assert.equal(readFileSync(r.journal, "utf8"), journalBefore, "a refused replacement records nothing");
  });
});

describe("POST /v1/sign/evm/batch with replacements", () => {
  it("signs replacements in a batch, of earlier items too, without moving the next nonce", async () => {
    const r = await rig();
    const server = await startSignerServer({ core: r.core, apiToken: TOKEN, port: 0, log: () => {} });
    try {
      const client = new SignerClient({ url: server.url, token: TOKEN });
      await client.signEvm("evm-hot", r.lock(1, first));
      const twice = { fee: minimumReplacementFee(bumped.fee), tip: minimumReplacementFee(bumped.tip) };
      const results = await client.signEvmBatch("evm-hot", [
        r.lock(1, bumped), // replaces the single signature above
        r.lock(2, first),
        r.lock(2, bumped), // replaces item 1 of this very batch
        r.lock(1, bumped), // the exact bytes of item 0: a replay
        r.lock(2, { fee: twice.fee, tip: bumped.tip }), // tip not raised over item 2
        r.lock(3, first),
        r.lock(1, twice, { data: proxyAbi.encodeFunctionData("free", [1n]) }),
      ]);
      assert.deepEqual(
        results.map((x) => (x.ok ? "ok" : `${x.error.reason}:${x.error.field ?? ""}`)),
        [
          "ok",
          "ok",
          "ok",
          "EVM_NONCE_REPLAY:nonce",
          "EVM_NONCE_REPLACEMENT_REFUSED:maxPriorityFeePerGas",
          "ok",
          "EVM_NONCE_REPLACEMENT_REFUSED:data",
        ],
      );
      const nonces = results.filter((x) => x.ok).map((x) => Transaction.from(x.signedTransaction).nonce);
      assert.deepEqual(nonces, [1, 2, 2, 3]);
      assert.equal((await client.key("evm-hot")).nextNonce, "4");
      // Both replacements are journaled with their counts (one write for the batch).
      const reopened = new SignedAtNonceStore(r.journal);
      assert.equal(reopened.get(31337n, r.f.evmAddress, 1n)?.replacements, 1);
      assert.equal(reopened.get(31337n, r.f.evmAddress, 2n)?.replacements, 1);
      assert.equal(reopened.get(31337n, r.f.evmAddress, 3n)?.replacements, 0);
    } finally {
      await server.close();
    }
  });
});

import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LocalForger } from "@taquito/local-forging";
import { ed25519 } from "@noble/curves/ed25519.js";
import { blake2b } from "@noble/hashes/blake2.js";
import { PrefixV2, b58DecodeAndCheckPrefix, hex2buf } from "@taquito/utils";
import { PolicyRefusedError } from "../src/errors.js";
import { delegationCode } from "../../../tezos/src/contract.js";
import { makeFixture } from "./helpers/fixture.js";
import type { Fixture } from "./helpers/fixture.js";

const forger = new LocalForger();
const BRANCH = "BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2";
const BAKER = "tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx";
const COLD = "tz1gjaF81ZRRvdzjobyfVNsAeSC6PScjfQwN";
const STRANGER_KT1 = "KT1BEqzn5Wx8uJrZNvuS9DVHmLvG9td3fDLi";

type Content = Record<string, unknown>;

async function forge(...contents: Content[]): Promise<string> {
  return forger.forge({ branch: BRANCH, contents } as never);
}

async function refused(p: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof PolicyRefusedError, `expected a policy refusal, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    return true;
  });
}

describe("Tezos allowlist", () => {
  let f: Fixture;
  let kt1: string;
  let counter = 1;
  const base = (): Content => ({
    source: f.tz1,
    fee: "1000",
    counter: String(counter++),
    gas_limit: "10000",
    storage_limit: "0",
  });
  const origination = (over: Content = {}, storage?: unknown): Content => ({
    ...base(),
    kind: "origination",
    storage_limit: "1000",
    balance: "0",
    script: {
      code: delegationCode(),
      storage: storage ?? { prim: "Pair", args: [{ string: COLD }, { string: f.tz1 }] },
    },
    ...over,
  });
  const setDelegate = (
    to: string,
    value: unknown = { prim: "Some", args: [{ string: BAKER }] },
    over: Content = {},
  ): Content => ({
    ...base(),
    kind: "transaction",
    amount: "0",
    destination: to,
    parameters: { entrypoint: "set_delegate", value },
    ...over,
  });

  before(async () => {
    f = await makeFixture();
    const reveal = { ...base(), kind: "reveal", public_key: f.edpk };
    const bytes = await forge(reveal, origination());
    const result = await f.core.signTezos("tezos-hot", bytes);
    assert.deepEqual(
      result.intents.map((i) => i.kind),
      ["reveal", "originate"],
    );
    kt1 = result.originated[0]!;
    assert.match(kt1, /^KT1/);
  });

  it("signs with watermark 0x03 over blake2b-256 and the signature verifies with noble", async () => {
    const bytes = await forge(setDelegate(kt1));
    const { signature, signedBytes } = await f.core.signTezos("tezos-hot", bytes);
    const [raw] = b58DecodeAndCheckPrefix(signature, [PrefixV2.Ed25519Signature]);
    const [pk] = b58DecodeAndCheckPrefix(f.edpk, [PrefixV2.Ed25519PublicKey]);
    const digest = blake2b(new Uint8Array([0x03, ...hex2buf(bytes)]), { dkLen: 32 });
    assert.ok(ed25519.verify(raw, digest, pk));
    assert.equal(signedBytes, bytes + Buffer.from(raw).toString("hex"));
    // Watermark matters: the same bytes without it do not verify.
    assert.equal(ed25519.verify(raw, blake2b(hex2buf(bytes), { dkLen: 32 }), pk), false);
  });

  it("accepts None (remove the delegate) and optimised key-hash bytes", async () => {
    await f.core.signTezos("tezos-hot", await forge(setDelegate(kt1, { prim: "None" })));
    const bytesKh =
      "00" + Buffer.from(b58DecodeAndCheckPrefix(BAKER, [PrefixV2.Ed25519PublicKeyHash])[0]).toString("hex");
    await f.core.signTezos(
      "tezos-hot",
      await forge(setDelegate(kt1, { prim: "Some", args: [{ bytes: bytesKh }] })),
    );
  });

  describe("refuses, and logs", () => {
    const cases: [string, string, () => Promise<string>][] = [
      [
        "%withdraw",
        "TEZOS_ENTRYPOINT",
        () =>
          forge(
            setDelegate(
              kt1,
              { int: "1000000" },
              { parameters: { entrypoint: "withdraw", value: { int: "1000000" } } },
            ),
          ),
      ],
      [
        "%rotate_hot",
        "TEZOS_ENTRYPOINT",
        () =>
          forge(
            setDelegate(kt1, undefined, {
              parameters: { entrypoint: "rotate_hot", value: { string: BAKER } },
            }),
          ),
      ],
      [
        "%default (a call without parameters)",
        "TEZOS_ENTRYPOINT",
        () => forge(setDelegate(kt1, undefined, { parameters: undefined })),
      ],
      [
        "a deposit from the hot key",
        "TEZOS_AMOUNT",
        () => forge(setDelegate(kt1, undefined, { amount: "5", parameters: undefined })),
      ],
      [
        "a plain transfer to an implicit account",
        "TEZOS_AMOUNT",
        () => forge({ ...base(), kind: "transaction", amount: "1000000", destination: COLD }),
      ],
      [
        "a zero-tez call to an implicit account",
        "TEZOS_UNKNOWN_CONTRACT",
        () => forge({ ...base(), kind: "transaction", amount: "0", destination: COLD }),
      ],
      [
        "set_delegate with tez attached",
        "TEZOS_AMOUNT",
        () => forge(setDelegate(kt1, undefined, { amount: "1" })),
      ],
      [
        "set_delegate on an unknown contract",
        "TEZOS_UNKNOWN_CONTRACT",
        () => forge(setDelegate(STRANGER_KT1)),
      ],
      [
        "set_delegate with a non-key-hash value",
        "TEZOS_BAD_PARAMETER",
        () => forge(setDelegate(kt1, { prim: "Some", args: [{ int: "1" }] })),
      ],
      [
        "an operation from another source",
        "TEZOS_FOREIGN_SOURCE",
        () => forge({ ...setDelegate(kt1), source: COLD }),
      ],
      [
        "a reveal of another key",
        "TEZOS_FOREIGN_REVEAL",
        () =>
          forge({
            ...base(),
            kind: "reveal",
            public_key: "edpkvGfYw3LyB1UcCahKQk4rF2tvbMUk8GFiTuMjL75uGXrpvKXhjn",
          }),
      ],
      [
        "a delegation of the hot account itself",
        "TEZOS_KIND",
        () => forge({ ...base(), kind: "delegation", delegate: BAKER }),
      ],
      [
        "an origination of another script",
        "TEZOS_FOREIGN_SCRIPT",
        () => {
          const code = delegationCode() as unknown[];
          const altered = JSON.parse(JSON.stringify(code).replace('"NOT_COLD"', '"NOT_C0LD"'));
          return forge({
            ...origination(),
            script: { code: altered, storage: { prim: "Pair", args: [{ string: COLD }, { string: f.tz1 }] } },
          });
        },
      ],
      [
        "an origination whose hot key is not this signer",
        "TEZOS_HOT_MISMATCH",
        () => forge(origination({}, { prim: "Pair", args: [{ string: COLD }, { string: BAKER }] })),
      ],
      [
        "an origination with cold = hot",
        "TEZOS_BAD_COLD",
        () => forge(origination({}, { prim: "Pair", args: [{ string: f.tz1 }, { string: f.tz1 }] })),
      ],
      ["an origination funded by the hot key", "TEZOS_AMOUNT", () => forge(origination({ balance: "1" }))],
      [
        "a good call hidden behind a bad one",
        "TEZOS_ENTRYPOINT",
        () =>
          forge(
            setDelegate(kt1),
            setDelegate(kt1, undefined, { parameters: { entrypoint: "withdraw", value: { int: "1" } } }),
          ),
      ],
    ];
    for (const [name, reason, build] of cases) {
      it(`${name} (${reason})`, async () => {
        const before = readFileSync(join(f.dir, "audit.jsonl"), "utf8").trim().split("\n").length;
        await refused(f.core.signTezos("tezos-hot", await build()), reason);
        const lines = readFileSync(join(f.dir, "audit.jsonl"), "utf8").trim().split("\n");
        assert.equal(lines.length, before + 1);
        assert.equal(JSON.parse(lines.at(-1)!).reason, reason);
      });
    }
  });

  describe("caps: just below, at, just above", () => {
    for (const [field, cap, reason] of [
      ["fee", 100_000n, "TEZOS_FEE"],
      ["gas_limit", 100_000n, "TEZOS_GAS_LIMIT"],
      ["storage_limit", 2_000n, "TEZOS_STORAGE_LIMIT"],
    ] as const) {
      it(`${field} around ${cap}`, async () => {
        for (const v of [cap - 1n, cap])
          await f.core.signTezos(
            "tezos-hot",
            await forge(setDelegate(kt1, undefined, { [field]: v.toString() })),
          );
        await refused(
          f.core.signTezos(
            "tezos-hot",
            await forge(setDelegate(kt1, undefined, { [field]: (cap + 1n).toString() })),
          ),
          reason,
        );
      });
    }
  });

  it("refuses a baker outside the configured baker allowlist", async () => {
    const g = await makeFixture();
    const deps = g.deps as { tezos: { bakers: readonly string[] } };
    deps.tezos = { ...deps.tezos, bakers: [COLD] };
    const r = await g.core.signTezos(
      "tezos-hot",
      await forge({
        ...origination(),
        source: g.tz1,
        script: {
          code: delegationCode(),
          storage: { prim: "Pair", args: [{ string: COLD }, { string: g.tz1 }] },
        },
      }),
    );
    const other = r.originated[0]!;
    await refused(
      g.core.signTezos("tezos-hot", await forge({ ...setDelegate(other), source: g.tz1 })),
      "TEZOS_BAKER",
    );
  });
});

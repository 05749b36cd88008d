/**
 * Protocol rules of the sandbox ledger: counters, reveal, signatures, fees that stick,
 * backtracking, storage burn, gas, KT1 derivation, internal operation order, delegation, blocks.
 */
import { beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { blake2b } from "@noble/hashes/blake2.js";
import { LocalForger, ProtocolsHash } from "@taquito/local-forging";
import { PrefixV2, b58DecodeAndCheckPrefix, b58Encode, buf2hex } from "@taquito/utils";
import { OperationRejected, constants, originatedAddress } from "../sandbox/ledger/index.js";
import { SoftwareEd25519Signer } from "../src/index.js";
import { createWorld, fixtureCode } from "./support/actors.js";
import type { Actor, World } from "./support/actors.js";

const forger = new LocalForger(ProtocolsHash.PtTALLiNt);
const UNIT = { prim: "Unit" };

async function rejectedWith(p: Promise<unknown>, idSuffix: string): Promise<OperationRejected> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof OperationRejected, String(err));
    assert.ok(
      err.errors.some((e) => e.id.endsWith(idSuffix)),
      `expected ${idSuffix}, got ${err.errors.map((e) => e.id).join(", ")}`,
    );
    return err;
  }
  assert.fail(`expected rejection ${idSuffix}`);
}

/** Forges and signs a raw group for `actor`, without the helper's automatic counters. */
async function signed(
  world: World,
  signer: SoftwareEd25519Signer,
  contents: object[],
  branch?: string,
): Promise<string> {
  const hex = await forger.forge({ branch: branch ?? world.chain.head.hash, contents: contents as never });
  return hex + buf2hex(signer.signSync(Uint8Array.from(Buffer.from(hex, "hex"))));
}

function tx(actor: Actor, counter: bigint, extra: object = {}): object {
  return {
    kind: "transaction",
    source: actor.address,
    fee: "1000",
    counter: counter.toString(),
    gas_limit: "2000",
    storage_limit: "300",
    amount: "1",
    destination: actor.address,
    ...extra,
  };
}

describe("sandbox ledger", () => {
  let world: World;
  let alice: Actor;
  let bob: Actor;

  beforeEach(async () => {
    world = createWorld();
    alice = await world.fresh();
    bob = await world.fresh();
    await alice.transfer(bob.address, 1n); // reveals alice
  });

  const counterOf = (a: Actor): bigint => world.chain.state.implicit(a.address)!.counter;

  describe("validation (the whole group is refused, nothing changes)", () => {
    it("accepts exactly counter + 1 and refuses counters in the past or the future", async () => {
      const c = counterOf(alice);
      const balance = alice.balance();
      await rejectedWith(
        world.chain.inject(await signed(world, alice.signer, [tx(alice, c)])),
        "counter_in_the_past",
      );
      await rejectedWith(
        world.chain.inject(await signed(world, alice.signer, [tx(alice, c + 2n)])),
        "counter_in_the_future",
      );
      assert.equal(alice.balance(), balance);
      assert.equal(counterOf(alice), c);
      await world.chain.inject(await signed(world, alice.signer, [tx(alice, c + 1n)]));
      assert.equal(counterOf(alice), c + 1n);
      assert.equal(alice.balance(), balance - 1000n);
    });

    it("refuses a manager operation from an unrevealed account", async () => {
      const carol = await world.fresh();
      const c = counterOf(carol);
      await rejectedWith(
        world.chain.inject(await signed(world, carol.signer, [tx(carol, c + 1n)])),
        "unrevealed_key",
      );
    });

    it("refuses a reveal whose key does not hash to the source", async () => {
      const carol = await world.fresh();
      const other = SoftwareEd25519Signer.generate();
      const reveal = {
        kind: "reveal",
        source: carol.address,
        fee: "1000",
        counter: (counterOf(carol) + 1n).toString(),
        gas_limit: "1000",
        storage_limit: "0",
        public_key: await other.publicKey(),
      };
      await rejectedWith(
        world.chain.inject(await signed(world, carol.signer, [reveal])),
        "inconsistent_hash",
      );
    });

    it("refuses a signature by another key and takes no fee", async () => {
      const balance = alice.balance();
      const op = await signed(world, bob.signer, [tx(alice, counterOf(alice) + 1n)]);
      await rejectedWith(world.chain.inject(op), "invalid_signature");
      assert.equal(alice.balance(), balance);
    });

    it("refuses fees the source cannot pay", async () => {
      const op = await signed(world, alice.signer, [
        tx(alice, counterOf(alice) + 1n, { fee: (alice.balance() + 1n).toString() }),
      ]);
      await rejectedWith(world.chain.inject(op), "balance_too_low");
    });

    it("refuses an unknown branch and a replayed operation", async () => {
      const unknown = b58Encode(new Uint8Array(32).fill(7), PrefixV2.BlockHash);
      await rejectedWith(
        world.chain.inject(await signed(world, alice.signer, [tx(alice, counterOf(alice) + 1n)], unknown)),
        "unknown_branch",
      );
      const op = await signed(world, alice.signer, [tx(alice, counterOf(alice) + 1n)]);
      await world.chain.inject(op);
      await rejectedWith(world.chain.inject(op), "oph_already_included");
    });

    it("refuses a gas limit above the per-operation hard limit", async () => {
      const op = await signed(world, alice.signer, [
        tx(alice, counterOf(alice) + 1n, {
          gas_limit: (constants.HARD_GAS_LIMIT_PER_OPERATION + 1n).toString(),
        }),
      ]);
      await rejectedWith(world.chain.inject(op), "gas_limit_too_high");
    });
  });

  describe("application", () => {
    it("backtracks the whole group when one operation fails, but keeps fees and counters", async () => {
      const c = counterOf(alice);
      const aliceBefore = alice.balance();
      const bobBefore = bob.balance();
      const group = [
        tx(alice, c + 1n, { destination: bob.address, amount: "5000" }),
        tx(alice, c + 2n, { destination: bob.address, amount: (aliceBefore * 2n).toString() }),
        tx(alice, c + 3n, { destination: bob.address, amount: "7" }),
      ];
      await world.chain.inject(await signed(world, alice.signer, group));
      const statuses = world.chain.head.operations[0]!.contents.map(
        (x) => x.metadata.operation_result.status,
      );
      assert.deepEqual(statuses, ["backtracked", "failed", "skipped"]);
      assert.equal(bob.balance(), bobBefore);
      assert.equal(alice.balance(), aliceBefore - 3000n);
      assert.equal(counterOf(alice), c + 3n);
    });

    it("refuses an empty transfer to an implicit account", async () => {
      const r = await alice.transfer(bob.address, 0n);
      assert.equal(r.status, "failed");
      assert.ok(r.errorIds.some((id) => id.endsWith("contract.empty_transaction")));
    });

    it("burns 257 bytes for a newly allocated implicit account", async () => {
      const fresh = SoftwareEd25519Signer.generate();
      const before = alice.balance();
      const r = await alice.transfer(await fresh.publicKeyHash(), 1000n);
      assert.equal(r.status, "applied");
      assert.equal(r.content.metadata.operation_result["allocated_destination_contract"], true);
      assert.equal(alice.balance(), before - 1000n - 10_000n - 257n * 250n);
    });

    it("burns origination_size plus the script and storage bytes for an origination", async () => {
      const before = alice.balance();
      const r = await alice.originate(fixtureCode("forwarder"), { string: bob.address }, 0n);
      assert.equal(r.status, "applied", r.errorIds.join(","));
      const paid = BigInt(r.content.metadata.operation_result["paid_storage_size_diff"] as string);
      assert.ok(paid > 0n);
      assert.equal(alice.balance(), before - 10_000n - (paid + 257n) * 250n);
    });

    it("fails an origination whose storage limit is too small, keeping only the fee", async () => {
      const before = alice.balance();
      const r = await alice.originate(fixtureCode("forwarder"), { string: bob.address }, 0n, {
        storageLimit: 257n,
      });
      assert.equal(r.status, "failed");
      assert.ok(r.errorIds.some((id) => id.endsWith("storage_exhausted.operation")));
      assert.equal(alice.balance(), before - 10_000n);
    });

    it("fails a call whose gas limit is too small", async () => {
      const fwd = (await alice.originate(fixtureCode("forwarder"), { string: bob.address })).originated!;
      const r = await alice.transfer(fwd, 10n, undefined, { gasLimit: 150n });
      assert.equal(r.status, "failed");
      assert.ok(
        r.errorIds.some((id) => id.endsWith("gas_exhausted.operation")),
        r.errorIds.join(","),
      );
    });

    it("derives KT1 addresses from the operation hash and the origination index", async () => {
      const c = counterOf(alice);
      const orig = (counter: bigint): object => ({
        kind: "origination",
        source: alice.address,
        fee: "2000",
        counter: counter.toString(),
        gas_limit: "20000",
        storage_limit: "2000",
        balance: "0",
        script: { code: fixtureCode("forwarder"), storage: { string: bob.address } },
      });
      const hash = await world.chain.inject(await signed(world, alice.signer, [orig(c + 1n), orig(c + 2n)]));
      const hashBytes = b58DecodeAndCheckPrefix(hash, [PrefixV2.OperationHash], true);
      // Independent derivation: blake2b-160(operation hash || uint32 BE index).
      const expected = [0, 1].map((i) => {
        const data = new Uint8Array([...hashBytes, 0, 0, 0, i]);
        return b58Encode(blake2b(data, { dkLen: 20 }), PrefixV2.ContractHash);
      });
      const got = world.chain.head.operations[0]!.contents.map(
        (x) => (x.metadata.operation_result["originated_contracts"] as string[])[0],
      );
      assert.deepEqual(got, expected);
      assert.notEqual(expected[0], expected[1]);
    });

    it("matches a published origination: operation hash to KT1", () => {
      // Provenance: TezBridge documentation, result example of `inject_operations` with one
      // origination (operation_id and originated_contracts as published; found via code search).
      const opHash = "ooFVQDdCYmP9iS2sQgeBGDSgkNfeQRMJkTeeCNFLMNY5Tqw7Zja";
      const bytes = b58DecodeAndCheckPrefix(opHash, [PrefixV2.OperationHash], true);
      assert.equal(originatedAddress(bytes, 0), "KT1ESBTJodKLxt5X2YRkdYsV7zu7KYUtsMyt");
    });

    it("originates from a contract (CREATE_CONTRACT) at the next nonce index, paying its burn", async () => {
      const factory = (await alice.originate(fixtureCode("factory"), UNIT)).originated!;
      const before = alice.balance();
      const r = await alice.transfer(factory, 0n, { entrypoint: "default", value: { string: bob.address } });
      assert.equal(r.status, "applied", r.errorIds.join(","));
      const internal = r.content.metadata.internal_operation_results ?? [];
      assert.equal(internal.length, 1);
      const result = internal[0]!["result"] as {
        originated_contracts: string[];
        paid_storage_size_diff: string;
      };
      const hashBytes = b58DecodeAndCheckPrefix(r.hash, [PrefixV2.OperationHash], true);
      assert.deepEqual(result.originated_contracts, [originatedAddress(hashBytes, 0)]);
      const child = world.chain.account(result.originated_contracts[0]!);
      assert.ok(child?.kind === "originated");
      assert.deepEqual(child.storage, { string: bob.address });
      const burn = (BigInt(result.paid_storage_size_diff) + 257n) * 250n;
      assert.equal(alice.balance(), before - 10_000n - burn);
    });

    it("applies internal operations depth-first", async () => {
      const target = await world.fresh();
      const second = await world.fresh();
      const fwd = (await alice.originate(fixtureCode("forwarder"), { string: target.address })).originated!;
      const splitter = (await alice.originate(fixtureCode("splitter"), UNIT)).originated!;
      const r = await alice.transfer(splitter, 10n, {
        entrypoint: "default",
        value: { prim: "Pair", args: [{ string: fwd }, { string: second.address }] },
      });
      assert.equal(r.status, "applied", r.errorIds.join(","));
      const order = (r.content.metadata.internal_operation_results ?? []).map(
        (i) => `${i["source"]}->${i["destination"]}`,
      );
      assert.deepEqual(order, [
        `${splitter}->${fwd}`,
        `${fwd}->${target.address}`,
        `${splitter}->${second.address}`,
      ]);
    });

    it("backtracks every internal operation when a nested one fails", async () => {
      const second = await world.fresh();
      const fwd = (await alice.originate(fixtureCode("forwarder"), { string: second.address })).originated!;
      const splitter = (await alice.originate(fixtureCode("splitter"), UNIT)).originated!;
      const secondBefore = second.balance();
      const r = await alice.transfer(splitter, 1n, {
        entrypoint: "default",
        value: { prim: "Pair", args: [{ string: fwd }, { string: second.address }] },
      });
      // 1 mutez in, 2 mutez out: the splitter's second transfer cannot be paid, after the
      // forwarder already paid `second`; all of it is undone.
      assert.equal(r.status, "backtracked");
      const statuses = (r.content.metadata.internal_operation_results ?? []).map(
        (i) => (i["result"] as { status: string }).status,
      );
      assert.deepEqual(statuses, ["backtracked", "backtracked", "failed"]);
      assert.equal(second.balance(), secondBefore);
      assert.equal(world.chain.account(splitter)!.balance, 0n);
    });
  });

  describe("delegation", () => {
    it("refuses an unregistered delegate, registers on self-delegation, then accepts it", async () => {
      const r1 = await alice.delegate(bob.address);
      assert.equal(r1.status, "failed");
      assert.ok(r1.errorIds.some((id) => id.endsWith("unregistered_delegate")));
      assert.equal((await bob.delegate(bob.address)).status, "applied");
      assert.ok(world.chain.state.delegates.has(bob.address));
      assert.equal((await alice.delegate(bob.address)).status, "applied");
      assert.equal(world.chain.account(alice.address)!.delegate, bob.address);
      const r2 = await bob.delegate(null);
      assert.ok(r2.errorIds.some((id) => id.endsWith("delegate.no_deletion")));
      assert.equal((await alice.delegate(null)).status, "applied");
      assert.equal(world.chain.account(alice.address)!.delegate, undefined);
    });
  });

  describe("blocks", () => {
    it("bakes one block per injected operation, with increasing levels", async () => {
      const level = world.chain.head.level;
      const r = await alice.transfer(bob.address, 1n);
      assert.equal(world.chain.head.level, level + 1);
      assert.equal(world.chain.head.operations[0]!.hash, r.hash);
      assert.equal(world.chain.block(`head~1`)!.level, level);
      assert.equal(world.chain.head.predecessor, world.chain.block("head~1")!.hash);
    });
  });
});

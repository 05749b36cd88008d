/**
 * The delegation contract on the sandbox ledger: every entrypoint from every kind of caller
 * (hot, cold, stranger, a contract relaying any of them), with balances and delegate checked
 * after each step.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { DELEGATION_ERRORS, delegationCode, delegationStorage } from "../src/index.js";
import type { Micheline } from "../src/index.js";
import { createWorld, fixtureCode } from "./support/actors.js";
import type { Actor, Applied, World } from "./support/actors.js";

const TEZ = 1_000_000n;
const FEE = 10_000n;

function some(keyHash: string): Micheline {
  return { prim: "Some", args: [{ string: keyHash }] };
}
const NONE: Micheline = { prim: "None" };

function assertRejected(r: Applied, failwith: string): void {
  // "failed" when our contract fails; "backtracked" when it is called by a relay contract.
  assert.ok(["failed", "backtracked"].includes(r.status), `${r.status}: ${r.errorIds.join(", ")}`);
  assert.equal(
    r.failwith,
    failwith,
    `expected FAILWITH ${failwith}, got ${r.failwith} (${r.errorIds.join(", ")})`,
  );
}

describe("delegation contract on the sandbox ledger", () => {
  let world: World;
  let cold: Actor;
  let hot: Actor;
  let stranger: Actor;
  let kt1: string;
  let relay: string;

  const balanceOf = (address: string): bigint => world.chain.account(address)?.balance ?? 0n;
  const delegateOf = (address: string): string | null => world.chain.account(address)?.delegate ?? null;
  const call = (who: Actor, entrypoint: string, value: Micheline, amount = 0n): Promise<Applied> =>
    who.transfer(kt1, amount, { entrypoint, value });
  const viaRelay = (who: Actor, entrypoint: string, value: Micheline, amount = 0n): Promise<Applied> =>
    who.transfer(relay, amount, { entrypoint, value });

  before(async () => {
    world = createWorld();
    cold = await world.fresh();
    hot = await world.fresh();
    stranger = await world.fresh();
    const o = await world.funder.originate(
      delegationCode(),
      delegationStorage({ cold: cold.address, hot: hot.address }),
      100n * TEZ,
    );
    assert.equal(o.status, "applied", o.errorIds.join(","));
    kt1 = o.originated!;
    const r = await stranger.originate(fixtureCode("relay"), { prim: "Unit" });
    assert.equal(r.status, "applied", r.errorIds.join(","));
    relay = r.originated!;
  });

  describe("%default (deposit)", () => {
    it("accepts tez from a stranger", async () => {
      const before = balanceOf(kt1);
      const r = await stranger.transfer(kt1, 5n * TEZ);
      assert.equal(r.status, "applied");
      assert.equal(balanceOf(kt1), before + 5n * TEZ);
    });

    it("accepts tez from hot, cold and a contract", async () => {
      const before = balanceOf(kt1);
      assert.equal((await hot.transfer(kt1, 1n * TEZ)).status, "applied");
      assert.equal((await cold.transfer(kt1, 1n * TEZ)).status, "applied");
      assert.equal((await viaRelay(stranger, "call_default", { string: kt1 }, 1n * TEZ)).status, "applied");
      assert.equal(balanceOf(kt1), before + 3n * TEZ);
      assert.equal(balanceOf(relay), 0n);
    });
  });

  describe("%set_delegate", () => {
    it("lets hot choose a registered baker", async () => {
      const r = await call(hot, "set_delegate", some(world.bakers[0]));
      assert.equal(r.status, "applied", r.errorIds.join(","));
      assert.equal(delegateOf(kt1), world.bakers[0]);
    });

    it("refuses the same baker again (the protocol's delegate.unchanged)", async () => {
      const r = await call(hot, "set_delegate", some(world.bakers[0]));
      // The SET_DELEGATE the contract emits fails, so the call itself is backtracked.
      assert.equal(r.status, "backtracked");
      assert.ok(
        r.errorIds.some((id) => id.endsWith("delegate.unchanged")),
        r.errorIds.join(","),
      );
      assert.equal(delegateOf(kt1), world.bakers[0]);
    });

    it("lets cold choose another baker", async () => {
      const r = await call(cold, "set_delegate", some(world.bakers[1]));
      assert.equal(r.status, "applied", r.errorIds.join(","));
      assert.equal(delegateOf(kt1), world.bakers[1]);
    });

    it("refuses an account that is not a registered delegate", async () => {
      const r = await call(hot, "set_delegate", some(stranger.address));
      assert.equal(r.status, "backtracked");
      assert.ok(
        r.errorIds.some((id) => id.endsWith("contract.manager.unregistered_delegate")),
        r.errorIds.join(","),
      );
      assert.equal(delegateOf(kt1), world.bakers[1]);
    });

    it("refuses a stranger with NOT_HOT_OR_COLD and still charges the stranger's fee", async () => {
      const before = stranger.balance();
      const kt1Before = balanceOf(kt1);
      assertRejected(
        await call(stranger, "set_delegate", some(world.bakers[0])),
        DELEGATION_ERRORS.notHotOrCold,
      );
      assert.equal(stranger.balance(), before - FEE);
      assert.equal(balanceOf(kt1), kt1Before);
      assert.equal(delegateOf(kt1), world.bakers[1]);
    });

    it("refuses a contract relaying the hot key's call (SENDER is the relay)", async () => {
      const r = await viaRelay(hot, "call_set_delegate", {
        prim: "Pair",
        args: [{ string: kt1 }, some(world.bakers[0])],
      });
      assertRejected(r, DELEGATION_ERRORS.notHotOrCold);
      assert.equal(r.status, "backtracked");
      assert.equal(delegateOf(kt1), world.bakers[1]);
    });

    it("refuses tez sent with it, keeping them with the sender", async () => {
      const before = hot.balance();
      const kt1Before = balanceOf(kt1);
      assertRejected(
        await call(hot, "set_delegate", some(world.bakers[0]), 1n),
        DELEGATION_ERRORS.tezNotAllowed,
      );
      assert.equal(hot.balance(), before - FEE);
      assert.equal(balanceOf(kt1), kt1Before);
    });

    it("lets hot remove the delegate with None", async () => {
      const r = await call(hot, "set_delegate", NONE);
      assert.equal(r.status, "applied", r.errorIds.join(","));
      assert.equal(delegateOf(kt1), null);
    });
  });

  describe("%withdraw", () => {
    it("sends the amount to the cold account when cold asks", async () => {
      const coldBefore = cold.balance();
      const kt1Before = balanceOf(kt1);
      const r = await call(cold, "withdraw", { int: (10n * TEZ).toString() });
      assert.equal(r.status, "applied", r.errorIds.join(","));
      assert.equal(balanceOf(kt1), kt1Before - 10n * TEZ);
      assert.equal(cold.balance(), coldBefore + 10n * TEZ - FEE);
      const internal = r.content.metadata.internal_operation_results ?? [];
      assert.equal(internal.length, 1);
      assert.equal(internal[0]!["destination"], cold.address);
    });

    for (const [name, who] of [
      ["hot", () => hot],
      ["a stranger", () => stranger],
    ] as const) {
      it(`refuses ${name} with NOT_COLD`, async () => {
        const kt1Before = balanceOf(kt1);
        assertRejected(await call(who(), "withdraw", { int: "1" }), DELEGATION_ERRORS.notCold);
        assert.equal(balanceOf(kt1), kt1Before);
      });
    }

    it("refuses a contract relaying the cold key's call", async () => {
      const kt1Before = balanceOf(kt1);
      const r = await viaRelay(cold, "call_withdraw", {
        prim: "Pair",
        args: [{ string: kt1 }, { int: "1" }],
      });
      assertRejected(r, DELEGATION_ERRORS.notCold);
      assert.equal(balanceOf(kt1), kt1Before);
      assert.equal(balanceOf(relay), 0n);
    });

    it("refuses tez attached", async () => {
      assertRejected(await call(cold, "withdraw", { int: "1" }, 1n), DELEGATION_ERRORS.tezNotAllowed);
    });

    it("refuses zero", async () => {
      assertRejected(await call(cold, "withdraw", { int: "0" }), DELEGATION_ERRORS.zeroAmount);
    });

    it("refuses one mutez more than the balance, accepts exactly the balance", async () => {
      const all = balanceOf(kt1);
      assertRejected(
        await call(cold, "withdraw", { int: (all + 1n).toString() }),
        DELEGATION_ERRORS.insufficientBalance,
      );
      assert.equal(balanceOf(kt1), all);
      const coldBefore = cold.balance();
      const r = await call(cold, "withdraw", { int: all.toString() });
      assert.equal(r.status, "applied", r.errorIds.join(","));
      assert.equal(balanceOf(kt1), 0n);
      assert.equal(cold.balance(), coldBefore + all - FEE);
      // Refill for the next tests.
      await stranger.transfer(kt1, 20n * TEZ);
    });

    it("refuses a parameter of the wrong type before running the script", async () => {
      const r = await call(cold, "withdraw", { string: "everything" });
      assert.equal(r.status, "failed");
      assert.ok(
        r.errorIds.some((id) => id.endsWith("bad_contract_parameter")),
        r.errorIds.join(","),
      );
    });
  });

  describe("%rotate_hot", () => {
    it("refuses hot, a stranger and a relayed cold call with NOT_COLD", async () => {
      assertRejected(await call(hot, "rotate_hot", { string: stranger.address }), DELEGATION_ERRORS.notCold);
      assertRejected(
        await call(stranger, "rotate_hot", { string: stranger.address }),
        DELEGATION_ERRORS.notCold,
      );
      const r = await viaRelay(cold, "call_rotate_hot", {
        prim: "Pair",
        args: [{ string: kt1 }, { string: stranger.address }],
      });
      assertRejected(r, DELEGATION_ERRORS.notCold);
      const storage = world.chain.account(kt1);
      assert.ok(storage?.kind === "originated");
      assert.deepEqual(storage.storage, delegationStorage({ cold: cold.address, hot: hot.address }));
    });

    it("refuses tez attached", async () => {
      assertRejected(
        await call(cold, "rotate_hot", { string: stranger.address }, 1n),
        DELEGATION_ERRORS.tezNotAllowed,
      );
    });

    it("lets cold replace hot; the old hot loses its right and the new one gains it", async () => {
      const newHot = await world.fresh();
      const r = await call(cold, "rotate_hot", { string: newHot.address });
      assert.equal(r.status, "applied", r.errorIds.join(","));
      const account = world.chain.account(kt1);
      assert.ok(account?.kind === "originated");
      assert.deepEqual(account.storage, delegationStorage({ cold: cold.address, hot: newHot.address }));
      assertRejected(await call(hot, "set_delegate", some(world.bakers[0])), DELEGATION_ERRORS.notHotOrCold);
      assert.equal((await call(newHot, "set_delegate", some(world.bakers[0]))).status, "applied");
      assert.equal(delegateOf(kt1), world.bakers[0]);
    });
  });

  describe("anything else", () => {
    it("refuses an unknown entrypoint", async () => {
      const r = await call(cold, "drain", { prim: "Unit" });
      assert.equal(r.status, "failed");
      assert.ok(
        r.errorIds.some((id) => id.endsWith("no_such_entrypoint")),
        r.errorIds.join(","),
      );
    });
  });
});

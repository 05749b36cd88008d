// Properties over random sequences of hot-key actions, driving the EVM on both chief families:
// tokens only ever leave towards cold, and cold recovers everything in one transaction afterwards.
import { expect } from "chai";
import fc from "fast-check";
import { network } from "hardhat";
import {
  FAMILIES,
  FUNDED,
  MAX_YAYS,
  WAD,
  candidates,
  deployWorld,
  read,
  slateOf,
  type Family,
  type World,
} from "../helpers/governance.js";

const { ethers, networkHelpers } = await network.create();

/** How an amount is picked against the current state: boundaries, a share, or an absolute value. */
type Amount =
  | { kind: "boundary"; offset: -1n | 0n | 1n }
  | { kind: "share"; percent: number }
  | { kind: "absolute"; wad: bigint };

type Action =
  | { kind: "lock"; amount: Amount }
  | { kind: "free"; amount: Amount }
  | { kind: "freeAll" }
  | { kind: "voteNew"; picks: number[] }
  | { kind: "voteExisting"; which: number }
  | { kind: "deposit"; wad: bigint }
  | { kind: "coldOnly"; which: "rotateHot" | "rescue" | "rescueEth" };

const POOL = 8;

const amountArb: fc.Arbitrary<Amount> = fc.oneof(
  fc.constantFrom<-1n | 0n | 1n>(-1n, 0n, 1n).map((offset) => ({ kind: "boundary" as const, offset })),
  fc.integer({ min: 0, max: 100 }).map((percent) => ({ kind: "share" as const, percent })),
  fc.bigInt({ min: 0n, max: 3n * FUNDED }).map((wad) => ({ kind: "absolute" as const, wad })),
);

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: amountArb.map((amount) => ({ kind: "lock" as const, amount })), weight: 3 },
  { arbitrary: amountArb.map((amount) => ({ kind: "free" as const, amount })), weight: 3 },
  { arbitrary: fc.constant({ kind: "freeAll" as const }), weight: 1 },
  {
    arbitrary: fc
      .uniqueArray(fc.integer({ min: 0, max: POOL - 1 }), { maxLength: MAX_YAYS })
      .map((picks) => ({ kind: "voteNew" as const, picks })),
    weight: 2,
  },
  { arbitrary: fc.nat(16).map((which) => ({ kind: "voteExisting" as const, which })), weight: 1 },
  {
    arbitrary: fc.bigInt({ min: 1n, max: 50n * WAD }).map((wad) => ({ kind: "deposit" as const, wad })),
    weight: 2,
  },
  {
    arbitrary: fc
      .constantFrom("rotateHot" as const, "rescue" as const, "rescueEth" as const)
      .map((which) => ({ kind: "coldOnly" as const, which })),
    weight: 1,
  },
);

/** What the proxy should hold, according to the actions that the model says succeed. */
interface Model {
  proxyGov: bigint;
  deposits: bigint;
  coldGov: bigint;
  total: bigint;
  slates: string[];
}

/** `items[index]`, or a thrown error naming the index (never undefined). */
function at<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item at index ${index} of ${items.length}`);
  return item;
}

function resolve(amount: Amount, limit: bigint): bigint {
  if (amount.kind === "boundary") {
    const wad = limit + amount.offset;
    return wad < 0n ? 0n : wad;
  }
  if (amount.kind === "share") return (limit * BigInt(amount.percent)) / 100n;
  return amount.wad;
}

/** Runs one action as the hot key (or the depositor), checking it succeeded exactly when the model says. */
async function step(world: World, model: Model, action: Action, pool: readonly string[]): Promise<void> {
  const { proxy, actors, gov } = world;
  const hot = proxy.connect(actors.hot);
  switch (action.kind) {
    case "lock": {
      const wad = resolve(action.amount, model.proxyGov);
      if (wad === 0n) {
        await expect(hot.lock(wad)).to.be.revertedWithCustomError(proxy, "VoteProxyZeroAmount");
      } else if (wad > model.proxyGov) {
        await expect(hot.lock(wad))
          .to.be.revertedWithCustomError(proxy, "VoteProxyInsufficientBalance")
          .withArgs(wad, model.proxyGov);
      } else {
        await hot.lock(wad);
        model.proxyGov -= wad;
        model.deposits += wad;
      }
      return;
    }
    case "free": {
      const wad = resolve(action.amount, model.deposits);
      if (wad === 0n) {
        await expect(hot.free(wad)).to.be.revertedWithCustomError(proxy, "VoteProxyZeroAmount");
      } else if (wad > model.deposits) {
        await expect(hot.free(wad))
          .to.be.revertedWithCustomError(proxy, "VoteProxyInsufficientDeposit")
          .withArgs(wad, model.deposits);
      } else {
        await hot.free(wad);
        model.deposits -= wad;
        model.coldGov += wad;
      }
      return;
    }
    case "freeAll": {
      await hot.freeAll();
      model.coldGov += model.proxyGov + model.deposits;
      model.proxyGov = 0n;
      model.deposits = 0n;
      return;
    }
    case "voteNew": {
      const yays = [...action.picks].sort((a, b) => a - b).map((i) => at(pool, i));
      await hot["vote(address[])"](yays);
      const slate = slateOf(ethers, yays);
      model.slates.push(slate);
      expect(await world.chief.votes(proxy)).to.equal(slate);
      for (const yay of yays) expect(await world.chief.approvals(yay)).to.equal(model.deposits);
      return;
    }
    case "voteExisting": {
      const slate = at(model.slates, action.which % model.slates.length);
      await hot["vote(bytes32)"](slate);
      expect(await world.chief.votes(proxy)).to.equal(slate);
      return;
    }
    case "deposit": {
      await gov.connect(actors.depositor).transfer(proxy, action.wad);
      model.proxyGov += action.wad;
      model.total += action.wad;
      return;
    }
    case "coldOnly": {
      const attempt =
        action.which === "rotateHot"
          ? hot.rotateHot(actors.hot)
          : action.which === "rescue"
            ? hot.rescue(gov)
            : hot.rescueEth();
      await expect(attempt)
        .to.be.revertedWithCustomError(proxy, "VoteProxyUnauthorized")
        .withArgs(actors.hot.address);
      return;
    }
  }
}

/** Tokens only ever leave towards cold: the chain matches the model and nobody else gained GOV. */
async function checkInvariant(world: World, model: Model): Promise<void> {
  const r = await read(world);
  expect(r.proxyGov + r.deposits + r.coldGov, "proxy + deposit + cold").to.equal(model.total);
  expect({ proxyGov: r.proxyGov, deposits: r.deposits, coldGov: r.coldGov }).to.deep.equal({
    proxyGov: model.proxyGov,
    deposits: model.deposits,
    coldGov: model.coldGov,
  });
  expect(r.chiefGov, "the chief's escrow is exactly the proxy's deposit").to.equal(r.deposits);
  expect(r.govAllowance).to.equal(0n);
  const { hot, stranger, attacker, newHot } = world.actors;
  for (const other of [hot, stranger, attacker, newHot])
    expect(await world.gov.balanceOf(other)).to.equal(0n);
  expect(await world.gov.balanceOf(world.actors.depositor)).to.equal(
    10_000n * WAD - (model.total - FUNDED) - FUNDED,
  );
}

const fixtures: Record<Family, () => Promise<World>> = {
  DSChief: async () => deployWorld(ethers, "DSChief"),
  SkyChief: async () => deployWorld(ethers, "SkyChief"),
};

for (const family of FAMILIES) {
  describe(`VoteProxy properties on ${family}`, function () {
    it("for random hot-key sequences, tokens leave only towards cold and cold recovers all in one transaction", async function () {
      const world = await networkHelpers.loadFixture(fixtures[family]);
      const pool = candidates(ethers, POOL);
      const snapshot = await networkHelpers.takeSnapshot();
      await fc.assert(
        fc.asyncProperty(fc.array(actionArb, { minLength: 1, maxLength: 10 }), async (actions) => {
          await snapshot.restore();
          const model: Model = {
            proxyGov: FUNDED,
            deposits: 0n,
            coldGov: 0n,
            total: FUNDED,
            slates: [ethers.keccak256("0x")],
          };
          for (const action of actions) {
            await step(world, model, action, pool);
            await checkInvariant(world, model);
          }
          // Recovery: cold alone, one transaction, in a fresh block (after any lock of the sequence).
          await networkHelpers.mine();
          const { cold } = world.actors;
          const before = await ethers.provider.getTransactionCount(cold);
          await world.proxy.connect(cold).freeAll();
          expect(await ethers.provider.getTransactionCount(cold)).to.equal(before + 1);
          const r = await read(world);
          expect({
            proxyGov: r.proxyGov,
            deposits: r.deposits,
            chiefGov: r.chiefGov,
            coldGov: r.coldGov,
          }).to.deep.equal({
            proxyGov: 0n,
            deposits: 0n,
            chiefGov: 0n,
            coldGov: model.total,
          });
        }),
        { numRuns: 60 },
      );
    });
  });
}

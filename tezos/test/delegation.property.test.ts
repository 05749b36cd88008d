/**
 * Property: whatever sequence of calls hot, strangers, cold and contracts make, tez leave the
 * delegation contract only towards the cold account, and only when cold itself called
 * %withdraw (with the amount cold asked for).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { delegationCode, delegationStorage } from "../src/index.js";
import type { Micheline } from "../src/index.js";
import { createWorld, fixtureCode } from "./support/actors.js";
import type { Actor, Applied } from "./support/actors.js";

const TEZ = 1_000_000n;

type Who = "hot" | "cold" | "stranger" | "relayByHot" | "relayByCold" | "relayByStranger";
type Action =
  | { kind: "deposit"; amount: bigint }
  | { kind: "set_delegate"; target: "baker0" | "baker1" | "none" | "unregistered"; tez: bigint }
  | { kind: "withdraw"; amount: bigint; tez: bigint }
  | { kind: "rotate_hot"; to: "stranger" | "spare"; tez: bigint };

const who = fc.constantFrom<Who>("hot", "cold", "stranger", "relayByHot", "relayByCold", "relayByStranger");
const tez = fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 3n * TEZ }));
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant("deposit" as const), amount: fc.bigInt({ min: 1n, max: 20n * TEZ }) }),
  fc.record({
    kind: fc.constant("set_delegate" as const),
    target: fc.constantFrom("baker0" as const, "baker1" as const, "none" as const, "unregistered" as const),
    tez,
  }),
  fc.record({ kind: fc.constant("withdraw" as const), amount: fc.bigInt({ min: 0n, max: 150n * TEZ }), tez }),
  fc.record({
    kind: fc.constant("rotate_hot" as const),
    to: fc.constantFrom("stranger" as const, "spare" as const),
    tez,
  }),
);

describe("delegation contract: tez only ever leave towards cold, on cold's request", () => {
  it("holds over random operation sequences", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(who, action), { minLength: 1, maxLength: 8 }), async (steps) => {
        const world = createWorld();
        const [cold, hot, stranger, spare] = [
          await world.fresh(),
          await world.fresh(),
          await world.fresh(),
          await world.fresh(),
        ];
        const kt1 = (
          await world.funder.originate(
            delegationCode(),
            delegationStorage({ cold: cold!.address, hot: hot!.address }),
            100n * TEZ,
          )
        ).originated!;
        const relay = (await stranger!.originate(fixtureCode("relay"), { prim: "Unit" })).originated!;
        const balance = (a: string): bigint => world.chain.account(a)?.balance ?? 0n;
        const actors: Record<"hot" | "cold" | "stranger", Actor> = {
          hot: hot!,
          cold: cold!,
          stranger: stranger!,
        };

        for (const [caller, act] of steps) {
          const direct = !caller.startsWith("relay");
          const signerName = (
            direct ? caller : caller.replace("relayBy", "").toLowerCase()
          ) as keyof typeof actors;
          const signer = actors[signerName];
          let entrypoint: string;
          let value: Micheline;
          let amount: bigint;
          switch (act.kind) {
            case "deposit":
              entrypoint = direct ? "default" : "call_default";
              value = direct ? { prim: "Unit" } : { string: kt1 };
              amount = act.amount;
              break;
            case "set_delegate": {
              const target = {
                baker0: world.bakers[0],
                baker1: world.bakers[1],
                unregistered: stranger!.address,
                none: null,
              }[act.target];
              const arg: Micheline =
                target === null ? { prim: "None" } : { prim: "Some", args: [{ string: target }] };
              entrypoint = direct ? "set_delegate" : "call_set_delegate";
              value = direct ? arg : { prim: "Pair", args: [{ string: kt1 }, arg] };
              amount = act.tez;
              break;
            }
            case "withdraw":
              entrypoint = direct ? "withdraw" : "call_withdraw";
              value = direct
                ? { int: act.amount.toString() }
                : { prim: "Pair", args: [{ string: kt1 }, { int: act.amount.toString() }] };
              amount = act.tez;
              break;
            case "rotate_hot": {
              const to = (act.to === "stranger" ? stranger! : spare!).address;
              entrypoint = direct ? "rotate_hot" : "call_rotate_hot";
              value = direct ? { string: to } : { prim: "Pair", args: [{ string: kt1 }, { string: to }] };
              amount = act.tez;
              break;
            }
          }
          const kt1Before = balance(kt1);
          const coldBefore = balance(cold!.address);
          const r: Applied = await signer.transfer(direct ? kt1 : relay, amount, { entrypoint, value });
          const internal = r.content.metadata.internal_operation_results ?? [];
          const outgoing = internal.filter(
            (i) =>
              i["source"] === kt1 &&
              i["kind"] === "transaction" &&
              (i["result"] as { status: string }).status === "applied",
          );
          for (const o of outgoing)
            assert.equal(o["destination"], cold!.address, "tez left towards someone else");
          const kt1After = balance(kt1);
          const coldAsked = direct && caller === "cold" && act.kind === "withdraw" && r.status === "applied";
          if (outgoing.length > 0 || kt1After < kt1Before) {
            assert.ok(coldAsked, `tez left on ${caller} ${act.kind} (${r.status})`);
            const asked = (act as { amount: bigint }).amount;
            assert.equal(kt1After, kt1Before - asked);
            assert.equal(balance(cold!.address), coldBefore - 10_000n + asked);
          }
          if (coldAsked) assert.ok(kt1After < kt1Before);
        }
      }),
      { numRuns: 12, seed: 20261122 },
    );
  });
});

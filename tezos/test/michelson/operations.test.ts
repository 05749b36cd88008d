import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  parseScript,
  parseMichelson,
  typecheckScript,
  execute,
  resolveEntrypoint,
  listEntrypoints,
  toRpcError,
  toRpcErrors,
  MichelsonRuntimeError,
  MichelsonTypeError,
  createMemoryBigMapStore,
} from "../../sandbox/michelson/index.js";
import type { ExecutionContext, TypedScript, Micheline } from "../../sandbox/michelson/index.js";
import { TezosOperationError } from "@taquito/taquito";
import type { TezosGenericOperationError } from "@taquito/rpc";

const SELF = "KT1BEqzn5Wx8uJrZNvuS9DVHmLvG9td3fDLi";
const OTHER = "KT1Mjjcb6tmSsLm7Cb3DSQszePjfchPM4Uxm";
const NEW = "KT1VqarPDicMFn1ejmQqqshUkUXTCTXwmkCN";
const ALICE = "tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx";
const BAKER = "tz1cxcwwnzENRdhe2Kb8ZdTrdNy4bFNyScx5";

const typed = (src: string): TypedScript => typecheckScript(parseScript(src));
const m = (s: string): Micheline => parseMichelson(s);

const OTHER_SCRIPT = typed(
  'parameter (or (nat %deposit) (or (unit %ping) (address %default))); storage unit; code { CDR ; NIL operation ; PAIR } ; view "twice" nat nat { CAR ; PUSH nat 2 ; MUL }',
);

function ctx(extra: Partial<ExecutionContext> = {}): ExecutionContext {
  let n = 0;
  return {
    self: SELF,
    sender: ALICE,
    source: ALICE,
    amount: 0n,
    balance: 1_000_000n,
    now: 1_700_000_000n,
    level: 42n,
    chainId: "NetXdQprcVkpaWU",
    getContract: (a) => (a === OTHER ? OTHER_SCRIPT : null),
    getContractState: (a) => (a === OTHER ? { script: OTHER_SCRIPT, storage: m("Unit"), balance: 5n } : null),
    nextOriginatedAddress: () => (n++ === 0 ? NEW : OTHER),
    ...extra,
  };
}

/** Runs `body` with parameter `p` and returns the resulting storage. */
function run(
  param: string,
  storage: string,
  body: string,
  p: string,
  s: string,
  extra: Partial<ExecutionContext> = {},
) {
  return execute(
    typed(`parameter ${param}; storage ${storage}; code { ${body} }`),
    { parameter: m(p), storage: m(s) },
    ctx(extra),
  );
}

describe("CONTRACT", () => {
  const body =
    "CAR ; CONTRACT %deposit nat ; IF_NONE { PUSH bool False } { DROP ; PUSH bool True } ; NIL operation ; PAIR";
  it("finds an entrypoint of a known contract", () => {
    assert.deepEqual(run("address", "bool", body, `"${OTHER}"`, "False").storage, m("True"));
  });
  it("returns None for an unknown contract", () => {
    assert.deepEqual(
      run("address", "bool", body, `"KT1ThEdxfUcWUwqsdergy3QnbCWGHSUHeHJq"`, "True").storage,
      m("False"),
    );
  });
  it("returns None for a type mismatch", () => {
    const b =
      "CAR ; CONTRACT %deposit int ; IF_NONE { PUSH bool False } { DROP ; PUSH bool True } ; NIL operation ; PAIR";
    assert.deepEqual(run("address", "bool", b, `"${OTHER}"`, "True").storage, m("False"));
  });
  it("returns None when address and instruction both name an entrypoint", () => {
    assert.deepEqual(run("address", "bool", body, `"${OTHER}%ping"`, "True").storage, m("False"));
  });
  it("uses the entrypoint carried by the address", () => {
    const b =
      "CAR ; CONTRACT unit ; IF_NONE { PUSH bool False } { DROP ; PUSH bool True } ; NIL operation ; PAIR";
    assert.deepEqual(run("address", "bool", b, `"${OTHER}%ping"`, "False").storage, m("True"));
  });
  it("resolves an explicit %default branch", () => {
    const b =
      "CAR ; CONTRACT address ; IF_NONE { PUSH bool False } { DROP ; PUSH bool True } ; NIL operation ; PAIR";
    assert.deepEqual(run("address", "bool", b, `"${OTHER}"`, "False").storage, m("True"));
  });
  it("sees the running contract itself", () => {
    const b =
      "DROP ; SELF_ADDRESS ; CONTRACT %b nat ; IF_NONE { PUSH bool False } { DROP ; PUSH bool True } ; NIL operation ; PAIR";
    const r = execute(
      typed(`parameter (or (unit %a) (nat %b)); storage bool; code { ${b} }`),
      { entrypoint: "a", parameter: m("Unit"), storage: m("False") },
      ctx(),
    );
    assert.deepEqual(r.storage, m("True"));
  });
});

describe("operations", () => {
  it("TRANSFER_TOKENS to an implicit account", () => {
    const r = run(
      "key_hash",
      "unit",
      "UNPAIR ; IMPLICIT_ACCOUNT ; PUSH mutez 250 ; UNIT ; TRANSFER_TOKENS ; NIL operation ; SWAP ; CONS ; PAIR",
      `"${BAKER}"`,
      "Unit",
    );
    assert.equal(r.operations.length, 1);
    assert.deepEqual(r.operations[0], {
      kind: "transaction",
      source: SELF,
      destination: BAKER,
      entrypoint: "default",
      amount: 250n,
      parameter: m("Unit"),
      parameterType: m("unit"),
    });
  });
  it("TRANSFER_TOKENS to a contract entrypoint carries the typed parameter", () => {
    const r = run(
      "address",
      "unit",
      "UNPAIR ; CONTRACT %deposit nat ; ASSERT_SOME ; PUSH mutez 0 ; PUSH nat 7 ; TRANSFER_TOKENS ; NIL operation ; SWAP ; CONS ; PAIR",
      `"${OTHER}"`,
      "Unit",
    );
    const op = r.operations[0]!;
    assert.equal(op.kind, "transaction");
    if (op.kind === "transaction") {
      assert.equal(op.destination, OTHER);
      assert.equal(op.entrypoint, "deposit");
      assert.deepEqual(op.parameter, { int: "7" });
    }
  });
  it("SET_DELEGATE Some and None", () => {
    const body = "UNPAIR ; SET_DELEGATE ; NIL operation ; SWAP ; CONS ; PAIR";
    const some = run("(option key_hash)", "unit", body, `Some "${BAKER}"`, "Unit").operations[0];
    assert.deepEqual(some, { kind: "delegation", source: SELF, delegate: BAKER });
    const none = run("(option key_hash)", "unit", body, "None", "Unit").operations[0];
    assert.deepEqual(none, { kind: "delegation", source: SELF, delegate: null });
  });
  it("CREATE_CONTRACT takes the ledger's next address and returns it", () => {
    const r = run(
      "unit",
      "(option address)",
      `DROP ; PUSH nat 5 ; PUSH mutez 100 ; PUSH (option key_hash) (Some "${BAKER}") ;
       CREATE_CONTRACT { parameter nat ; storage nat ; code { CAR ; NIL operation ; PAIR } } ;
       DIP { SOME } ; NIL operation ; SWAP ; CONS ; PAIR`,
      "Unit",
      "None",
    );
    assert.deepEqual(r.storage, m(`Some "${NEW}"`));
    const op = r.operations[0]!;
    assert.equal(op.kind, "origination");
    if (op.kind === "origination") {
      assert.equal(op.address, NEW);
      assert.equal(op.balance, 100n);
      assert.equal(op.delegate, BAKER);
      assert.deepEqual(op.script.storage, { int: "5" });
      assert.deepEqual(
        op.script.code,
        m("{ parameter nat ; storage nat ; code { CAR ; NIL operation ; PAIR } }"),
      );
      // The originated script typechecks on its own, so the ledger can store it.
      assert.doesNotThrow(() => typecheckScript(parseScript(op.script.code as Micheline)));
    }
  });
  it("emits operations in list order", () => {
    const r = run(
      "unit",
      "unit",
      `DROP ; NIL operation ; NONE key_hash ; SET_DELEGATE ; CONS ; PUSH (option key_hash) (Some "${BAKER}") ; SET_DELEGATE ; CONS ; UNIT ; SWAP ; PAIR`,
      "Unit",
      "Unit",
    );
    assert.deepEqual(
      r.operations.map((o) => (o.kind === "delegation" ? o.delegate : "?")),
      [BAKER, null],
    );
  });
  it("rejects emitting the same operation twice", () => {
    assert.throws(
      () =>
        run(
          "unit",
          "unit",
          "DROP ; NONE key_hash ; SET_DELEGATE ; DUP ; NIL operation ; SWAP ; CONS ; SWAP ; CONS ; UNIT ; SWAP ; PAIR",
          "Unit",
          "Unit",
        ),
      (e: unknown) => e instanceof MichelsonRuntimeError && e.kind === "internal_operation_replay",
    );
  });
  it("EMIT produces an event", () => {
    const r = run(
      "nat",
      "unit",
      "UNPAIR ; EMIT %minted nat ; NIL operation ; SWAP ; CONS ; PAIR",
      "3",
      "Unit",
    );
    assert.deepEqual(r.operations[0], {
      kind: "event",
      source: SELF,
      tag: "minted",
      type: m("nat"),
      payload: { int: "3" },
    });
  });
  it("VIEW calls another contract's view", () => {
    const r = run(
      "address",
      "(option nat)",
      `CAR ; PUSH nat 21 ; VIEW "twice" nat ; NIL operation ; PAIR`,
      `"${OTHER}"`,
      "None",
    );
    assert.deepEqual(r.storage, m("Some 42"));
    const missing = run(
      "address",
      "(option nat)",
      `CAR ; PUSH nat 21 ; VIEW "nope" nat ; NIL operation ; PAIR`,
      `"${OTHER}"`,
      "None",
    );
    assert.deepEqual(missing.storage, m("None"));
  });
});

describe("execute", () => {
  const script = typed(
    "parameter (or (unit %ping) (or (nat %set) (int %add))); storage int; code { UNPAIR ; IF_LEFT { DROP } { IF_LEFT { SWAP ; DROP ; INT } { ADD } } ; NIL operation ; PAIR }",
  );
  it("wraps an entrypoint's parameter into the root parameter", () => {
    assert.deepEqual(
      execute(script, { entrypoint: "set", parameter: m("7"), storage: m("1") }, ctx()).storage,
      m("7"),
    );
    assert.deepEqual(
      execute(script, { entrypoint: "add", parameter: m("-3"), storage: m("1") }, ctx()).storage,
      m("-2"),
    );
    assert.deepEqual(execute(script, { parameter: m("Left Unit"), storage: m("1") }, ctx()).storage, m("1"));
  });
  it("rejects an unknown entrypoint", () => {
    assert.throws(
      () => execute(script, { entrypoint: "nope", parameter: m("Unit"), storage: m("1") }, ctx()),
      (e: unknown) => e instanceof MichelsonTypeError && e.kind === "invalid_entrypoint",
    );
  });
  it("rejects a parameter of the wrong type", () => {
    assert.throws(
      () => execute(script, { entrypoint: "set", parameter: m("-1"), storage: m("1") }, ctx()),
      (e: unknown) => e instanceof MichelsonTypeError && e.code === "MICHELSON_ILL_TYPED_DATA",
    );
  });
  it("returns storage in readable or optimized form", () => {
    const s = typed("parameter unit; storage (pair address timestamp); code { CDR ; NIL operation ; PAIR }");
    const st = m(`Pair "${ALICE}" 0`);
    assert.deepEqual(
      execute(s, { parameter: m("Unit"), storage: st }, ctx()).storage,
      m(`Pair "${ALICE}" "1970-01-01T00:00:00Z"`),
    );
    assert.deepEqual(
      execute(s, { parameter: m("Unit"), storage: st, mode: "optimized" }, ctx()).storage,
      m("Pair 0x000002298c03ed7d454a101eb7022bc95f7e5f41ac78 0"),
    );
  });
  it("reports deterministic gas and fails when the limit is reached", () => {
    const a = execute(script, { entrypoint: "add", parameter: m("1"), storage: m("1") }, ctx());
    const b = execute(script, { entrypoint: "add", parameter: m("1"), storage: m("1") }, ctx());
    assert.ok(a.gasConsumed > 0n);
    assert.equal(a.gasConsumed, b.gasConsumed);
    assert.throws(
      () =>
        execute(
          script,
          { entrypoint: "add", parameter: m("1"), storage: m("1") },
          ctx({ gasLimit: a.gasConsumed - 1n }),
        ),
      (e: unknown) => e instanceof MichelsonRuntimeError && e.kind === "gas_exhausted",
    );
    assert.doesNotThrow(() =>
      execute(
        script,
        { entrypoint: "add", parameter: m("1"), storage: m("1") },
        ctx({ gasLimit: a.gasConsumed }),
      ),
    );
  });
  it("runs a cached script at least a few hundred times per second, even on a loaded machine", () => {
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++)
      execute(script, { entrypoint: "add", parameter: { int: String(i) }, storage: { int: "0" } }, ctx());
    const perSec = 2000 / ((performance.now() - t0) / 1000);
    assert.ok(perSec > 300, `only ${perSec.toFixed(0)} calls/s`);
  });
});

describe("entrypoints", () => {
  const param = m("or (unit %ping) (or (nat %set) (int %add))");
  it("resolves names to types and paths", () => {
    assert.deepEqual(resolveEntrypoint(param, "add"), { type: m("int"), path: ["Right", "Right"] });
    assert.deepEqual(resolveEntrypoint(param, "ping"), { type: m("unit"), path: ["Left"] });
    assert.equal(resolveEntrypoint(param, "nope"), null);
  });
  it("resolves default to the whole parameter when no branch is %default", () => {
    assert.deepEqual(resolveEntrypoint(param, "default")?.path, []);
  });
  it("resolves an annotated %default branch", () => {
    assert.deepEqual(resolveEntrypoint(m("or (unit %default) (nat %b)"), "default"), {
      type: m("unit"),
      path: ["Left"],
    });
  });
  it("supports a %root annotation", () => {
    const s = typed(
      "parameter (or %root (unit %a) (nat %b)); storage unit; code { CDR ; NIL operation ; PAIR }",
    );
    assert.ok("root" in s.entrypoints);
    assert.ok("a" in s.entrypoints && "b" in s.entrypoints);
  });
  it("rejects an annotation on the parameter keyword", () => {
    assert.throws(
      () =>
        typed("parameter %root (or (unit %a) (nat %b)); storage unit; code { CDR ; NIL operation ; PAIR }"),
      /parameter keyword/,
    );
  });
  it("rejects CONTRACT %default and addresses naming %default", () => {
    assert.throws(
      () =>
        typed(
          "parameter address; storage unit; code { CAR ; CONTRACT %default unit ; DROP ; UNIT ; NIL operation ; PAIR }",
        ),
      /%default/,
    );
    assert.throws(
      () =>
        execute(
          typed("parameter address; storage unit; code { CDR ; NIL operation ; PAIR }"),
          { parameter: m(`"${OTHER}%default"`), storage: m("Unit") },
          ctx(),
        ),
      /%default/,
    );
  });
  it("allows SELF %default", () => {
    assert.doesNotThrow(() =>
      typed(
        "parameter (or (unit %default) (nat %b)); storage unit; code { DROP ; SELF %default ; DROP ; UNIT ; NIL operation ; PAIR }",
      ),
    );
  });
  it("lists annotated entrypoints like the /entrypoints RPC", () => {
    assert.deepEqual(listEntrypoints(param), { ping: m("unit"), set: m("nat"), add: m("int") });
  });
});

describe("RPC error mapping", () => {
  it("maps FAILWITH to script_rejected with the value", () => {
    let err: unknown;
    try {
      run("unit", "unit", 'DROP ; PUSH string "not cold" ; FAILWITH', "Unit", "Unit");
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof MichelsonRuntimeError);
    assert.deepEqual(toRpcError(err, { protocol: "proto.test" }), {
      kind: "temporary",
      id: "proto.test.michelson_v1.script_rejected",
      location: 11,
      with: { string: "not cold" },
    });
    const trace = toRpcErrors(err, { protocol: "proto.test", contract: SELF });
    assert.equal(trace.length, 2);
    assert.equal(trace[0]!.id, "proto.test.michelson_v1.runtime_error");
    assert.equal(trace[0]!.contract_handle, SELF);
    assert.equal(trace[1]!.id, "proto.test.michelson_v1.script_rejected");
  });
  it("maps shift overflow to script_overflow", () => {
    try {
      run("nat", "nat", "UNPAIR ; SWAP ; LSL ; NIL operation ; PAIR", "300", "1");
      assert.fail("expected an overflow");
    } catch (e) {
      assert.equal(toRpcError(e).id, "proto.alpha.michelson_v1.script_overflow");
    }
  });
  it("maps mutez addition overflow to tez.addition_overflow", () => {
    try {
      run("mutez", "mutez", "UNPAIR ; ADD ; NIL operation ; PAIR", "9223372036854775807", "1");
      assert.fail("expected an overflow");
    } catch (e) {
      assert.deepEqual(toRpcError(e), {
        kind: "temporary",
        id: "proto.alpha.tez.addition_overflow",
        amounts: ["9223372036854775807", "1"],
      });
    }
  });
  it("maps gas exhaustion", () => {
    assert.equal(
      toRpcError(new MichelsonRuntimeError("gas_exhausted", "gas exhausted", -1)).id,
      "proto.alpha.gas_exhausted.operation",
    );
  });
});

describe("big maps with a store", () => {
  const script = typed(
    'parameter (pair string (option nat)); storage (pair (big_map string nat) nat); code { UNPAIR ; UNPAIR ; DIG 2 ; UNPAIR ; DIG 3 ; DIG 3 ; UPDATE ; DUP ; PUSH string "a" ; MEM ; IF { SWAP ; PUSH nat 1 ; ADD } { SWAP } ; SWAP ; PAIR ; NIL operation ; PAIR }',
  );
  it("allocates an id, then reads and updates the stored big map by id", () => {
    const store = createMemoryBigMapStore(10n);
    const c = ctx({ bigMaps: store });
    const r1 = execute(script, { parameter: m('Pair "a" (Some 1)'), storage: m("Pair {} 0") }, c);
    assert.deepEqual(r1.storage, m("Pair 10 1"));
    assert.equal(r1.bigMaps.length, 1);
    assert.equal(r1.bigMaps[0]!.fresh, true);
    assert.deepEqual(r1.bigMaps[0]!.entries, [[{ string: "a" }, { int: "1" }]]);
    store.put(r1.bigMaps);
    const r2 = execute(script, { parameter: m('Pair "b" (Some 2)'), storage: r1.storage }, c);
    assert.deepEqual(r2.storage, m("Pair 10 2"));
    assert.equal(r2.bigMaps[0]!.fresh, false);
    assert.deepEqual(r2.bigMaps[0]!.entries.length, 2);
  });
  it("rejects an unknown big map id", () => {
    assert.throws(
      () =>
        execute(
          script,
          { parameter: m('Pair "a" None'), storage: m("Pair 99 0") },
          ctx({ bigMaps: createMemoryBigMapStore() }),
        ),
      /unknown big_map id/,
    );
  });
  it("keeps big maps inline without a store", () => {
    const r = execute(script, { parameter: m('Pair "a" (Some 1)'), storage: m("Pair {} 0") }, ctx());
    assert.deepEqual(r.storage, m('Pair { Elt "a" 1 } 1'));
  });
});

describe("Taquito sees the FAILWITH value", () => {
  it("TezosOperationError built from toRpcErrors has the failing string as message", () => {
    let err: unknown;
    try {
      run("unit", "unit", 'DROP ; PUSH string "NOT_COLD" ; FAILWITH', "Unit", "Unit");
    } catch (e) {
      err = e;
    }
    const errors = toRpcErrors(err, { protocol: "proto.021-PsQuebec", contract: SELF });
    const taquito = new TezosOperationError(errors as unknown as TezosGenericOperationError[], "", []);
    assert.equal(taquito.message, "NOT_COLD");
    assert.equal(taquito.id, "proto.021-PsQuebec.michelson_v1.script_rejected");
  });
});

describe("RPC error mapping of typing errors", () => {
  it("maps ill-typed data, unknown entrypoints and ill-typed scripts", () => {
    const script = typed(
      "parameter (or (nat %a) (unit %b)); storage unit; code { CDR ; NIL operation ; PAIR }",
    );
    const catchIt = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return assert.fail("expected an error");
    };
    const bad = catchIt(() =>
      execute(script, { entrypoint: "a", parameter: m('"x"'), storage: m("Unit") }, ctx()),
    );
    assert.equal(toRpcError(bad).id, "proto.alpha.michelson_v1.ill_typed_data");
    const noEp = catchIt(() =>
      execute(script, { entrypoint: "c", parameter: m("Unit"), storage: m("Unit") }, ctx()),
    );
    assert.equal(toRpcError(noEp).id, "proto.alpha.michelson_v1.no_such_entrypoint");
    const illTyped = catchIt(() => typed("parameter unit; storage unit; code { ADD }"));
    assert.equal(toRpcError(illTyped).id, "proto.alpha.michelson_v1.ill_typed_contract");
    assert.equal(toRpcErrors(illTyped, { contract: SELF }).length, 1);
  });
});

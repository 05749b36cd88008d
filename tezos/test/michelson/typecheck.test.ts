import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { Contract } from "@taquito/michel-codec";
import {
  parseScript,
  typecheckScript,
  typecheckData,
  typecheckType,
  parseMichelson,
  MichelsonTypeError,
} from "../../sandbox/michelson/index.js";

function rejects(src: string, path: RegExp | string, message?: RegExp): MichelsonTypeError {
  let caught: unknown;
  try {
    typecheckScript(parseScript(src));
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof MichelsonTypeError, `expected a MichelsonTypeError, got ${String(caught)}`);
  if (typeof path === "string") assert.equal(caught.path, path);
  else assert.match(caught.path ?? "", path);
  if (message) assert.match(caught.message, message);
  return caught;
}

const ok = (src: string): void => void typecheckScript(parseScript(src));

describe("typechecker: ill-typed programs are rejected with a location", () => {
  it("ADD on string and nat", () => {
    rejects(
      "parameter string; storage nat; code { UNPAIR ; ADD ; NIL operation ; PAIR }",
      "code[1]",
      /ADD is not defined/,
    );
  });
  it("COMPARE of int and nat (a gap in michel-codec's checker)", () => {
    const src =
      "parameter (pair int nat); storage bool; code { CAR ; UNPAIR ; COMPARE ; EQ ; NIL operation ; PAIR }";
    rejects(src, "code[2]", /COMPARE/);
  });
  it("COMPARE of non-comparable lists", () => {
    rejects(
      "parameter (list nat); storage int; code { CAR ; DUP ; COMPARE ; NIL operation ; PAIR }",
      "code[2]",
    );
  });
  it("stack too short", () => {
    rejects("parameter unit; storage unit; code { DROP ; SWAP }", "code[1]", /needs 2/);
  });
  it("wrong final stack", () => {
    rejects(
      "parameter unit; storage nat; code { DROP ; PUSH int 1 ; NIL operation ; PAIR }",
      "code",
      /must end with/,
    );
  });
  it("branches of IF disagree (location inside the IF)", () => {
    rejects(
      'parameter bool; storage nat; code { CAR ; IF { PUSH nat 1 } { PUSH string "a" } ; NIL operation ; PAIR }',
      "code[1]",
    );
  });
  it("error inside a nested branch names the nested path", () => {
    rejects(
      'parameter bool; storage nat; code { UNPAIR ; IF { PUSH string "x" ; ADD } {} ; NIL operation ; PAIR }',
      "code[1].then[1]",
    );
  });
  it("unknown instruction", () => {
    rejects("parameter unit; storage unit; code { FOO ; NIL operation ; PAIR }", "code[0]", /FOO/);
  });
  it("PUSH of a value of the wrong type", () => {
    rejects(
      "parameter unit; storage nat; code { DROP ; PUSH nat -1 ; NIL operation ; PAIR }",
      "code[1].value",
    );
  });
  it("PUSH of operation", () => {
    rejects(
      "parameter unit; storage unit; code { DROP ; PUSH operation Unit ; DROP ; UNIT ; NIL operation ; PAIR }",
      "code[1]",
    );
  });
  it("DUP 0", () => {
    rejects("parameter unit; storage unit; code { DUP 0 ; DROP ; NIL operation ; PAIR }", "code[0]");
  });
  it("SELF inside a lambda", () => {
    rejects(
      "parameter unit; storage unit; code { LAMBDA unit address { DROP ; SELF ; ADDRESS } ; DROP ; CDR ; NIL operation ; PAIR }",
      /code\[0\].body\[1\]/,
      /SELF/,
    );
  });
  it("SUB on mutez (deprecated since Ithaca)", () => {
    rejects(
      "parameter mutez; storage mutez; code { UNPAIR ; SUB ; NIL operation ; PAIR }",
      "code[1]",
      /SUB_MUTEZ/,
    );
  });
  it("instruction after FAILWITH", () => {
    rejects("parameter unit; storage unit; code { FAILWITH ; DROP }", "code[1]", /unreachable/);
  });
  it("set of a non-comparable type", () => {
    rejects("parameter (set (list nat)); storage unit; code { CDR ; NIL operation ; PAIR }", /parameter/);
  });
  it("big_map inside a big_map value", () => {
    rejects(
      "parameter unit; storage (big_map nat (big_map nat nat)); code { CDR ; NIL operation ; PAIR }",
      /storage/,
    );
  });
  it("operation in storage", () => {
    rejects("parameter unit; storage (list operation); code { CDR ; NIL operation ; PAIR }", "storage");
  });
  it("duplicate entrypoint annotations", () => {
    rejects(
      "parameter (or (nat %a) (int %a)); storage unit; code { CDR ; NIL operation ; PAIR }",
      "parameter",
      /duplicate entrypoint/,
    );
  });
  it("MAP body changing the stack below", () => {
    rejects(
      "parameter (list nat); storage unit; code { UNPAIR ; MAP { DIP { DROP } } ; DROP ; NIL operation ; PAIR }",
      "code[1]",
    );
  });
  it("missing code section", () => {
    assert.throws(() => parseScript("parameter unit; storage unit"), /needs parameter, storage and code/);
  });
  it("CONTRACT with a non-address operand", () => {
    rejects(
      "parameter nat; storage unit; code { CAR ; CONTRACT unit ; DROP ; UNIT ; NIL operation ; PAIR }",
      "code[1]",
    );
  });
});

describe("typechecker: well-typed programs", () => {
  it("accepts macros expanded by michel-codec (CMPLT, IFCMPEQ, ASSERT_SOME, DUUP, SET_CAR)", () => {
    ok(`parameter (pair nat nat); storage (pair nat nat);
        code { UNPAIR ; DUP ; UNPAIR ; CMPLT ; IF { DUP ; UNPAIR ; IFCMPEQ { } { } } { } ; DUUP ; DROP ; DROP ;
               SOME ; ASSERT_SOME ; PUSH nat 1 ; SWAP ; SET_CAR ; NIL operation ; PAIR }`);
  });
  it("agrees with michel-codec's Contract.parse on a sample of valid scripts", () => {
    const srcs = [
      "parameter (or (unit %a) (nat %b)); storage nat; code { UNPAIR ; IF_LEFT { DROP } { ADD } ; NIL operation ; PAIR }",
      "parameter (list int); storage int; code { CAR ; PUSH int 0 ; SWAP ; ITER { ADD } ; NIL operation ; PAIR }",
      "parameter key_hash; storage unit; code { UNPAIR ; SOME ; SET_DELEGATE ; NIL operation ; SWAP ; CONS ; PAIR }",
    ];
    for (const src of srcs) {
      assert.doesNotThrow(() => Contract.parse(src));
      assert.doesNotThrow(() => ok(src));
    }
  });
  it("accepts a FAILWITH branch with any stack", () => {
    ok(
      "parameter nat; storage nat; code { CAR ; DUP ; PUSH nat 10 ; COMPARE ; LT ; IF { FAILWITH } { NIL operation ; PAIR } }",
    );
  });
  it("accepts views and CREATE_CONTRACT", () => {
    ok(`parameter unit; storage nat;
        code { DROP ; PUSH nat 0 ; PUSH mutez 0 ; NONE key_hash ;
               CREATE_CONTRACT { parameter nat ; storage nat ; code { CAR ; NIL operation ; PAIR } } ;
               DIP { DROP } ; NIL operation ; SWAP ; CONS ; PUSH nat 1 ; SWAP ; PAIR } ;
        view "double" nat nat { UNPAIR ; ADD }`);
  });
  it("rejects CREATE_CONTRACT with a storage of another type", () => {
    rejects(
      `parameter unit; storage nat; code { DROP ; PUSH int 0 ; PUSH mutez 0 ; NONE key_hash ;
         CREATE_CONTRACT { parameter nat ; storage nat ; code { CAR ; NIL operation ; PAIR } } ;
         DROP 2 ; PUSH nat 1 ; NIL operation ; PAIR }`,
      "code[4]",
    );
  });
});

describe("typecheckData / typecheckType", () => {
  it("accepts both readable and optimized addresses", () => {
    typecheckData({ prim: "address" }, { string: "tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx" });
    typecheckData({ prim: "address" }, { bytes: "000002298c03ed7d454a101eb7022bc95f7e5f41ac78" });
  });
  it("rejects a malformed address, naming the path", () => {
    assert.throws(
      () => typecheckData(parseMichelson("pair nat address"), parseMichelson('Pair 1 "tz1notanaddress"')),
      (e: unknown) => e instanceof MichelsonTypeError && e.path === "value.1",
    );
  });
  it("rejects unsorted map keys and duplicate set elements", () => {
    assert.throws(
      () => typecheckData(parseMichelson("map nat nat"), parseMichelson("{ Elt 2 0 ; Elt 1 0 }")),
      /increasing/,
    );
    assert.throws(() => typecheckData(parseMichelson("set nat"), parseMichelson("{ 1 ; 1 }")), /increasing/);
  });
  it("rejects mutez above 2^63-1", () => {
    assert.throws(() => typecheckData({ prim: "mutez" }, { int: "9223372036854775808" }), /range/);
  });
  it("rejects non-printable characters in strings", () => {
    assert.throws(() => typecheckData({ prim: "string" }, { string: "a\u0007" }), /character/);
  });
  it("rejects a type with the wrong arity", () => {
    assert.throws(() => typecheckType(parseMichelson("option nat nat")), /expects 1/);
  });
});

describe("the project's Tezos contracts", () => {
  const dir = new URL("../../contracts/", import.meta.url);
  it("typechecks the delegation contract (leading comments included)", () => {
    const t = typecheckScript(parseScript(readFileSync(new URL("delegation.tz", dir), "utf8")));
    assert.deepEqual(Object.keys(t.entrypoints).sort(), [
      "default",
      "rotate_hot",
      "set_delegate",
      "withdraw",
    ]);
  });
  it("rejects every script of the ill_typed corpus", () => {
    const files = readdirSync(new URL("ill_typed/", dir)).filter((f) => f.endsWith(".tz"));
    assert.ok(files.length > 0);
    for (const f of files) {
      const src = readFileSync(new URL(`ill_typed/${f}`, dir), "utf8");
      assert.throws(() => typecheckScript(parseScript(src)), MichelsonTypeError, f);
    }
  });
});

describe("views", () => {
  it("rejects operations emitted inside a view", () => {
    assert.throws(
      () =>
        typecheckScript(
          parseScript(
            'parameter unit; storage unit; code { CDR ; NIL operation ; PAIR } ; view "v" unit unit { DROP ; NONE key_hash ; SET_DELEGATE ; DROP ; UNIT }',
          ),
        ),
      /not allowed in a view/,
    );
  });
  it("rejects a view returning the wrong type", () => {
    assert.throws(
      () =>
        typecheckScript(
          parseScript(
            'parameter unit; storage nat; code { CDR ; NIL operation ; PAIR } ; view "v" unit string { CDR }',
          ),
        ),
      /must return/,
    );
  });
});

describe("names and annotations", () => {
  it("rejects invalid view names", () => {
    assert.throws(
      () =>
        typecheckScript(
          parseScript(
            'parameter unit; storage unit; code { CDR ; NIL operation ; PAIR } ; view "a b" unit unit { CDR }',
          ),
        ),
      /invalid view name/,
    );
    assert.throws(
      () =>
        typecheckScript(
          parseScript(
            `parameter address; storage unit; code { CAR ; UNIT ; VIEW "${"x".repeat(32)}" unit ; DROP ; UNIT ; NIL operation ; PAIR }`,
          ),
        ),
      /invalid view name/,
    );
  });
  it("rejects malformed annotations in Micheline JSON", () => {
    const sections = [
      { prim: "parameter", args: [{ prim: "unit", annots: ["%a$"] }] },
      { prim: "storage", args: [{ prim: "unit" }] },
      {
        prim: "code",
        args: [[{ prim: "CDR" }, { prim: "NIL", args: [{ prim: "operation" }] }, { prim: "PAIR" }]],
      },
    ];
    assert.throws(() => parseScript(sections), /malformed annotation/);
  });
});

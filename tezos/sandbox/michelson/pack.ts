/**
 * PACK and UNPACK: `0x05` followed by the binary encoding of the value's optimized Micheline form
 * (addresses, keys and timestamps as bytes/ints, pairs kept binary as the protocol's PACK does).
 */
import { MichelsonTypeError } from "./errors.js";
import type { Micheline } from "./micheline.js";
import { decodeMicheline, encodeMicheline } from "./binary.js";
import { parseType, isPackable, showType } from "./types.js";
import type { Ty } from "./types.js";
import { parseData, unparseData } from "./values.js";
import type { V } from "./values.js";
import type { TcContext } from "./typecheck.js";
import { concat } from "./encoding.js";

const PACK_PREFIX = Uint8Array.of(5);

/** Packs a runtime value of a packable type. */
export function packValue(t: Ty, v: V): Uint8Array {
  return concat(PACK_PREFIX, encodeMicheline(unparseData(t, v, "optimized_legacy")));
}

/**
 * Unpacks bytes into a runtime value; undefined (the instruction's `None`) on any malformation.
 * (Not null: null is the runtime value of an option `None`, a valid unpacked value.)
 */
export function unpackValue(t: Ty, b: Uint8Array, tc: TcContext): V | undefined {
  if (b.length < 1 || b[0] !== 5) return undefined;
  const m = decodeMicheline(b.subarray(1));
  if (m === null) return undefined;
  try {
    return parseData(t, m, tc, "unpacked");
  } catch (e) {
    if (e instanceof MichelsonTypeError) return undefined;
    throw e;
  }
}

/**
 * PACK of a Micheline value of the given type, exactly as the protocol's `PACK` instruction.
 *
 * @throws {MichelsonTypeError} when the type is not packable or the value does not have that type.
 * @example toHex(pack({ prim: "nat" }, { int: "1" })) // "050001"
 */
export function pack(type: Micheline, value: Micheline): Uint8Array {
  const t = parseType(type);
  if (!isPackable(t)) throw new MichelsonTypeError("ill_formed_type", `type ${showType(t)} is not packable`);
  return packValue(t, parseData(t, value, {}, "value"));
}

/**
 * UNPACK of bytes at the given type, returning the value in optimized Micheline form, or null when
 * the bytes do not unpack to that type (the instruction's `None`).
 *
 * @throws {MichelsonTypeError} when the type itself is not packable.
 */
export function unpack(type: Micheline, bytes: Uint8Array): Micheline | null {
  const t = parseType(type);
  if (!isPackable(t)) throw new MichelsonTypeError("ill_formed_type", `type ${showType(t)} is not packable`);
  const v = unpackValue(t, bytes, {});
  return v === undefined ? null : unparseData(t, v, "optimized");
}

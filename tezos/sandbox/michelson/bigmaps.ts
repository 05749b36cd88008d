/**
 * Big maps with identifiers, as the protocol stores them: a storage holds a big map's id, its
 * content lives beside the contract. When a call ends, every big map in the new storage gets an
 * id: a big map created during the call (or taken from the parameter, or appearing twice) gets a
 * fresh one, in left-to-right order; one the contract already owned keeps its id.
 *
 * Without a {@link BigMapStore} in the context, big maps stay inline in storage (`{ Elt ... }`).
 */
import { MichelsonTypeError } from "./errors.js";
import type { Micheline } from "./micheline.js";
import type { Ty } from "./types.js";
import { parseType, showType, tyEq, typeToMicheline } from "./types.js";
import { parseData, unparseData } from "./values.js";
import type { MapV, OrV, OptionV, V } from "./values.js";
import type { TcContext } from "./typecheck.js";

/** Content of a stored big map (optimized Micheline keys and values, sorted by key). */
export interface StoredBigMap {
  readonly keyType: Micheline;
  readonly valueType: Micheline;
  readonly entries: readonly (readonly [Micheline, Micheline])[];
}

/** Where big maps live: the ledger implements it (or {@link createMemoryBigMapStore}). */
export interface BigMapStore {
  /** A stored big map, or null if the id is unknown. */
  get(id: bigint): StoredBigMap | null;
  /** A fresh, never used id. */
  allocate(): bigint;
}

/** The content of one big map of the new storage, to be persisted under `id` by the caller. */
export interface BigMapUpdate extends StoredBigMap {
  readonly id: bigint;
  /** True when the id was allocated by this call. */
  readonly fresh: boolean;
}

/**
 * An in-memory store whose first fresh id is `firstId` (the protocol's `run script` in mockup
 * mode starts at 4). `put` persists the updates returned by `execute`.
 */
export function createMemoryBigMapStore(
  firstId = 0n,
): BigMapStore & { put(updates: readonly BigMapUpdate[]): void } {
  let next = firstId;
  const maps = new Map<bigint, StoredBigMap>();
  return {
    get: (id) => maps.get(id) ?? null,
    allocate: () => next++,
    put(updates) {
      for (const u of updates)
        maps.set(u.id, { keyType: u.keyType, valueType: u.valueType, entries: u.entries });
    },
  };
}

/** Loads a stored big map as a runtime value, checking its declared types. */
export function loadBigMap(store: BigMapStore, id: bigint, t: Ty, tc: TcContext): MapV | null {
  const found = store.get(id);
  if (found === null) return null;
  const kt = t.args[0]!;
  const vt = t.args[1]!;
  if (!tyEq(parseType(found.keyType), kt) || !tyEq(parseType(found.valueType), vt)) {
    throw new MichelsonTypeError("ill_typed_data", `big_map ${id} does not have type ${showType(t)}`, {
      value: id.toString(),
    });
  }
  const entries = found.entries.map(
    ([k, v]) =>
      [parseData(kt, k, tc, `big_map(${id}).key`), parseData(vt, v, tc, `big_map(${id}).value`)] as const,
  );
  return { entries, id };
}

/**
 * Assigns ids to the big maps of a storage value and collects their contents.
 *
 * @param owned ids present in the storage before the call: these may keep their id once.
 */
export function commitBigMaps(
  t: Ty,
  v: V,
  store: BigMapStore,
  owned: ReadonlySet<bigint>,
): { value: V; updates: BigMapUpdate[] } {
  const updates: BigMapUpdate[] = [];
  const used = new Set<bigint>();
  const walk = (ty: Ty, x: V): V => {
    switch (ty.prim) {
      case "big_map": {
        const mv = x as MapV;
        const keep = mv.id !== undefined && mv.id !== null && owned.has(mv.id) && !used.has(mv.id);
        const id = keep ? (mv.id as bigint) : store.allocate();
        used.add(id);
        updates.push({
          id,
          fresh: !keep,
          keyType: typeToMicheline(ty.args[0]!),
          valueType: typeToMicheline(ty.args[1]!),
          entries: mv.entries.map(
            ([k, val]) =>
              [unparseData(ty.args[0]!, k, "optimized"), unparseData(ty.args[1]!, val, "optimized")] as const,
          ),
        });
        return { entries: mv.entries, id } satisfies MapV;
      }
      case "pair": {
        const p = x as readonly [V, V];
        return [walk(ty.args[0]!, p[0]), walk(ty.args[1]!, p[1])] as const;
      }
      case "or": {
        const o = x as OrV;
        return { left: o.left, v: walk(ty.args[o.left ? 0 : 1]!, o.v) } satisfies OrV;
      }
      case "option": {
        const o = x as OptionV;
        return o === null ? null : { some: walk(ty.args[0]!, o.some) };
      }
      case "list":
        return hasBigMap(ty.args[0]!) ? (x as readonly V[]).map((e) => walk(ty.args[0]!, e)) : x;
      case "map": {
        if (!hasBigMap(ty.args[1]!)) return x;
        const mv = x as MapV;
        return {
          entries: mv.entries.map(([k, e]) => [k, walk(ty.args[1]!, e)] as const),
          id: null,
        } satisfies MapV;
      }
      default:
        return x;
    }
  };
  return { value: hasBigMap(t) ? walk(t, v) : v, updates };
}

/** Ids of the big maps referenced by a storage value. */
export function bigMapIds(t: Ty, v: V, out = new Set<bigint>()): Set<bigint> {
  if (!hasBigMap(t)) return out;
  switch (t.prim) {
    case "big_map": {
      const id = (v as MapV).id;
      if (id !== undefined && id !== null) out.add(id);
      break;
    }
    case "pair":
      bigMapIds(t.args[0]!, (v as readonly [V, V])[0], out);
      bigMapIds(t.args[1]!, (v as readonly [V, V])[1], out);
      break;
    case "or":
      bigMapIds(t.args[(v as OrV).left ? 0 : 1]!, (v as OrV).v, out);
      break;
    case "option":
      if (v !== null) bigMapIds(t.args[0]!, (v as { some: V }).some, out);
      break;
    case "list":
      for (const e of v as readonly V[]) bigMapIds(t.args[0]!, e, out);
      break;
    case "map":
      for (const [, e] of (v as MapV).entries) bigMapIds(t.args[1]!, e, out);
      break;
  }
  return out;
}

export function hasBigMap(t: Ty): boolean {
  if (t.prim === "big_map") return true;
  if (t.prim === "lambda") return false;
  return t.args.some(hasBigMap);
}

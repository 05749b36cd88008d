/**
 * Entrypoints of a parameter type: field annotations on the branches of its `or` tree, an
 * optional root annotation, and `%default` (an annotated branch, else the whole parameter).
 */
import { MichelsonTypeError } from "./errors.js";
import type { Ty } from "./types.js";

/** An entrypoint's parameter type and the Left/Right path from the root to it. */
export interface ResolvedEntrypoint {
  readonly type: Ty;
  readonly path: readonly ("Left" | "Right")[];
}

function find(t: Ty, name: string, path: ("Left" | "Right")[]): ResolvedEntrypoint | null {
  if (t.field === name) return { type: t, path: path.slice() };
  if (t.prim !== "or") return null;
  path.push("Left");
  const l = find(t.args[0]!, name, path);
  path.pop();
  if (l !== null) return l;
  path.push("Right");
  const r = find(t.args[1]!, name, path);
  path.pop();
  return r;
}

/**
 * Finds entrypoint `name` ("" or "default" for the default entrypoint) in a parameter type.
 *
 * @returns null when there is no such entrypoint.
 */
export function resolveEntrypointTy(param: Ty, name: string): ResolvedEntrypoint | null {
  const n = name === "" ? "default" : name;
  const found = find(param, n, []);
  if (found !== null) return found;
  return n === "default" ? { type: param, path: [] } : null;
}

/** All annotated entrypoints (name → type) of a parameter type. */
export function entrypointsOf(param: Ty): Map<string, ResolvedEntrypoint> {
  const out = new Map<string, ResolvedEntrypoint>();
  const walk = (t: Ty, path: ("Left" | "Right")[]): void => {
    if (t.field !== undefined) {
      if (out.has(t.field)) {
        throw new MichelsonTypeError("ill_typed_contract", `duplicate entrypoint %${t.field}`, {
          value: t.field,
          path: "parameter",
        });
      }
      if (t.field.length > 31) {
        throw new MichelsonTypeError("ill_typed_contract", `entrypoint name too long: %${t.field}`, {
          value: t.field,
          path: "parameter",
        });
      }
      out.set(t.field, { type: t, path: path.slice() });
    }
    if (t.prim === "or") {
      walk(t.args[0]!, [...path, "Left"]);
      walk(t.args[1]!, [...path, "Right"]);
    }
  };
  walk(param, []);
  return out;
}

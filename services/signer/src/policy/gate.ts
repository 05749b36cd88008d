/**
 * The hot signer's own policy check. It pins the genesis quorum, holds the activated policy chain
 * (accepted only when it verifies back to that genesis), and for every sign request:
 *
 * 1. requires an `authorization` naming the active policy's hash;
 * 2. requires its payload (what approvers signed) to describe exactly the decoded transaction;
 * 3. re-evaluates that payload under the active policy with the signer's clock and NO history
 *    (stateless: velocity limits cannot be re-checked here, see decision 1023) and refuses a deny,
 *    or an `allow` the signer's evaluation says needs approvals;
 * 4. for approvals (its own requirement and those of the rules the API named), re-verifies every
 *    WebAuthn approval against the active policy's approvers (counting rule shared with the API),
 *    with expiry against its own clock and self-approval against the payload's `requestedBy`;
 * 5. refuses approvals already used for another transaction (journal of approval nonces).
 *
 * Everything refused raises `PolicyRefusedError` with a `POLICY_*` reason, which the core logs.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { countApprovals } from "../../../policy/src/approvals.js";
import { policyHash } from "../../../policy/src/canonical.js";
import { compilePolicy, evaluate, normaliseAddress } from "../../../policy/src/evaluate.js";
import type { CompiledPolicy } from "../../../policy/src/evaluate.js";
import {
  operationPayloadDigest,
  payloadIntent,
  validateOperationPayload,
} from "../../../policy/src/operation-payload.js";
import type { OperationPayload } from "../../../policy/src/operation-payload.js";
import { validateGenesis, verifyPolicyChain } from "../../../policy/src/quorum.js";
import type { GenesisQuorum, SignedPolicyVersion } from "../../../policy/src/quorum.js";
import type { PolicyDocument } from "../../../policy/src/schema.js";
import type { ApprovalEvidence } from "../../../policy/src/webauthn-verify.js";
import { InvalidInputError, PolicyRefusedError } from "../errors.js";
import type { EvmIntent } from "../allowlist/evm.js";
import type { TezosIntent } from "../allowlist/tezos.js";
import { appendLineDurable, writeFileAtomic } from "../state/files.js";

/** What the API sends with a sign request (services/api `SignAuthorization`). */
export interface SignAuthorization {
  readonly policyHash: string;
  readonly decision: "allow" | "require_approval";
  readonly ruleIds: readonly string[];
  readonly payload: unknown;
  readonly approvals: readonly ApprovalEvidence[];
}

/** What the signer decoded from the bytes it is asked to sign. */
export type DecodedOperation =
  | {
      readonly chain: "ethereum";
      readonly chainId: bigint;
      readonly intent: EvmIntent;
      readonly binding: string;
    }
  | { readonly chain: "tezos"; readonly intents: readonly TezosIntent[]; readonly binding: string };

/** Options of {@link PolicyGate}. */
export interface PolicyGateOptions {
  readonly genesis: GenesisQuorum | null;
  /** Where the accepted chain and used approvals are kept; in memory only when absent. */
  readonly dataDir?: string;
  /** Unix seconds; injectable for tests. */
  readonly now?: () => number;
}

const refuse = (reason: string, message: string, field?: string, value?: string): never => {
  throw new PolicyRefusedError(reason, message, field, value);
};

/** The signer's policy gate. */
export class PolicyGate {
  readonly #genesis: GenesisQuorum | null;
  readonly #chainFile: string | undefined;
  readonly #usedFile: string | undefined;
  readonly #now: () => number;
  #chain: SignedPolicyVersion[] = [];
  #active: { policy: PolicyDocument; policyHash: string; compiled: CompiledPolicy } | null = null;
  /** approval nonce -> the transaction binding it was first used for. */
  readonly #used = new Map<string, string>();

  constructor(opts: PolicyGateOptions) {
    this.#genesis = opts.genesis;
    this.#now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    if (opts.dataDir !== undefined) {
      this.#chainFile = join(opts.dataDir, "policy-chain.json");
      this.#usedFile = join(opts.dataDir, "policy-approvals-used.jsonl");
      if (existsSync(this.#usedFile)) {
        for (const line of readFileSync(this.#usedFile, "utf8").split("\n")) {
          if (line.trim() === "") continue;
          const { nonce, binding } = JSON.parse(line) as { nonce: string; binding: string };
          if (!this.#used.has(nonce)) this.#used.set(nonce, binding);
        }
      }
      // A stored chain is re-verified like a pushed one: the file is not trusted either.
      if (existsSync(this.#chainFile)) {
        this.accept(JSON.parse(readFileSync(this.#chainFile, "utf8")) as SignedPolicyVersion[], false);
      }
    }
  }

  /** The active policy's hash and version, or null. */
  get active(): { readonly policyHash: string; readonly version: number } | null {
    return this.#active && { policyHash: this.#active.policyHash, version: this.#active.policy.version };
  }

  /**
   * Accepts a pushed policy chain if it verifies back to the pinned genesis quorum and extends
   * (or equals) the chain already held: a rollback to an older version is refused.
   *
   * @throws {PolicyRefusedError} `POLICY_NO_GENESIS`, `POLICY_CHAIN_INVALID`, `POLICY_CHAIN_ROLLBACK`.
   */
  accept(chain: readonly SignedPolicyVersion[], persist = true): { policyHash: string; version: number } {
    if (this.#genesis === null) {
      return refuse("POLICY_NO_GENESIS", "no genesis quorum is pinned (SIGNER_POLICY_GENESIS_FILE)");
    }
    if (!Array.isArray(chain))
      return refuse("POLICY_CHAIN_INVALID", "expected an array of versions", "versions");
    let head: { policy: PolicyDocument; policyHash: string };
    try {
      head = verifyPolicyChain(chain, this.#genesis);
    } catch (err) {
      return refuse("POLICY_CHAIN_INVALID", err instanceof Error ? err.message : String(err), "versions");
    }
    const current = this.#active;
    if (current !== null && current.policyHash !== head.policyHash) {
      // The chain verified as a whole, so it extends ours iff our head sits at our length in it.
      const previousHead = chain[this.#chain.length - 1];
      const sameHistory =
        chain.length > this.#chain.length &&
        previousHead !== undefined &&
        policyHash(previousHead.policy) === current.policyHash;
      if (!sameHistory) {
        return refuse(
          "POLICY_CHAIN_ROLLBACK",
          `chain ending at version ${head.policy.version} does not extend the active version ${current.policy.version}`,
          "versions",
        );
      }
    }
    this.#chain = [...chain];
    this.#active = { ...head, compiled: compilePolicy(head.policy) };
    if (persist && this.#chainFile !== undefined)
      writeFileAtomic(this.#chainFile, JSON.stringify(this.#chain));
    return { policyHash: head.policyHash, version: head.policy.version };
  }

  /**
   * Checks a sign request's authorization against what the signer decoded.
   *
   * @throws {PolicyRefusedError} with a `POLICY_*` reason for anything not authorised.
   * @throws {InvalidInputError} naming `authorization` when it is malformed.
   */
  check(authorization: unknown, decoded: DecodedOperation): void {
    if (decoded.chain === "tezos" && decoded.intents.every((i) => i.kind === "reveal")) return;
    const active = this.#active;
    if (active === null) return refuse("POLICY_NOT_ACTIVE", "the signer holds no activated policy");
    if (authorization === undefined || authorization === null) {
      return refuse(
        "POLICY_AUTHORIZATION_MISSING",
        "a sign request needs a policy authorization",
        "authorization",
      );
    }
    const auth = authorization as Partial<SignAuthorization>;
    if (auth.policyHash !== active.policyHash) {
      return refuse(
        "POLICY_HASH_MISMATCH",
        `evaluated under ${String(auth.policyHash)}, but the active policy is ${active.policyHash}`,
        "authorization.policyHash",
        String(auth.policyHash).slice(0, 64),
      );
    }
    if (auth.decision !== "allow" && auth.decision !== "require_approval") {
      throw new InvalidInputError(
        "authorization.decision",
        String(auth.decision),
        "expected allow or require_approval",
      );
    }
    let payload: OperationPayload;
    try {
      payload = validateOperationPayload(auth.payload);
    } catch (err) {
      throw new InvalidInputError(
        "authorization.payload",
        "",
        err instanceof Error ? err.message : String(err),
      );
    }
    matchPayload(payload, decoded);

    const now = this.#now();
    const mine = evaluate(active.compiled, payloadIntent(payload, new Date(now * 1000).toISOString()), []);
    if (mine.decision === "deny") {
      return refuse(
        "POLICY_DENIED",
        `the signer's evaluation denies it (${mine.matchedRules.join(", ") || "no rule allows it"})`,
      );
    }
    if (mine.decision === "require_approval" && auth.decision === "allow") {
      return refuse(
        "POLICY_DECISION_MISMATCH",
        `the API said allow, the signer's evaluation requires approvals (${mine.matchedRules.join(", ")})`,
        "authorization.decision",
      );
    }
    // Requirements: the signer's own, plus (when the API escalated, e.g. for velocity the signer
    // cannot see) those of the rules the API named.
    const needed = new Map<string, number>();
    for (const a of mine.approvals ?? []) needed.set(a.group, Math.max(needed.get(a.group) ?? 0, a.count));
    if (auth.decision === "require_approval") {
      const named = new Set(Array.isArray(auth.ruleIds) ? auth.ruleIds : []);
      for (const rule of active.policy.rules) {
        if (!named.has(rule.id)) continue;
        for (const o of [rule.outcome, rule.otherwise]) {
          if (o?.type === "require") needed.set(o.group, Math.max(needed.get(o.group) ?? 0, o.count));
        }
      }
      if (needed.size === 0) {
        return refuse(
          "POLICY_DECISION_MISMATCH",
          "require_approval names no rule that requires approvals",
          "authorization.ruleIds",
        );
      }
    }
    if (needed.size === 0) return;
    const evidence = Array.isArray(auth.approvals) ? auth.approvals : [];
    const web = active.policy.webauthn;
    const digest = operationPayloadDigest(payload);
    for (const [group, count] of needed) {
      const result = countApprovals(evidence, {
        policy: active.policy,
        group,
        threshold: count,
        requesterId: payload.requestedBy ?? null,
        subject: { kind: "operation", digest },
        now,
        rpId: web?.rpId ?? "",
        origins: web?.origins ?? [],
      });
      if (!result.reached) {
        const why = result.rejected.map((r) => `${r.approverId}: ${r.reason}`).join("; ");
        return refuse(
          "POLICY_APPROVALS_INSUFFICIENT",
          `${result.count} of ${count} approvals of ${group}${why ? ` (${why})` : ""}`,
          "authorization.approvals",
        );
      }
    }
    // Approvals authorise one transaction: a nonce seen with another binding is a replay.
    for (const e of evidence) {
      const first = this.#used.get(e.nonce);
      if (first !== undefined && first !== decoded.binding) {
        return refuse(
          "POLICY_APPROVAL_REPLAYED",
          `approval ${e.nonce} by ${e.approverId} already authorised another transaction`,
          "authorization.approvals",
        );
      }
    }
    for (const e of evidence) {
      if (this.#used.has(e.nonce)) continue;
      this.#used.set(e.nonce, decoded.binding);
      if (this.#usedFile !== undefined)
        appendLineDurable(this.#usedFile, JSON.stringify({ nonce: e.nonce, binding: decoded.binding }));
    }
  }
}

const same = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && normaliseAddress(a) === normaliseAddress(b);

/** Refuses a payload that does not describe the decoded transaction exactly. */
function matchPayload(p: OperationPayload, d: DecodedOperation): void {
  const mismatch = (field: string, expected: string): never =>
    refuse(
      "POLICY_PAYLOAD_MISMATCH",
      `payload ${field} does not match the transaction (${expected})`,
      `authorization.payload.${field}`,
    );
  if (p.chain !== d.chain) mismatch("chain", d.chain);
  const a = p.args;
  if (d.chain === "ethereum") {
    if (p.chainId !== d.chainId.toString()) mismatch("chainId", d.chainId.toString());
    const i = d.intent;
    switch (i.kind) {
      case "createProxy":
        if (p.action !== "originate") mismatch("action", "originate");
        if (!same(p.contract, i.factory)) mismatch("contract", i.factory);
        if (!same(a.cold, i.cold)) mismatch("args.cold", i.cold);
        if (!same(a.hot, i.hot)) mismatch("args.hot", i.hot);
        return;
      case "lock":
      case "free":
        if (p.action !== i.kind) mismatch("action", i.kind);
        if (a.amount?.unit !== "wad" || a.amount.value !== i.wad.toString())
          mismatch("args.amount", `${i.wad} wad`);
        break;
      case "freeAll":
        if (p.action !== "freeAll") mismatch("action", "freeAll");
        break;
      case "voteCandidates": {
        const c = a.candidates ?? [];
        if (p.action !== "vote") mismatch("action", "vote");
        if (c.length !== i.candidates.length || c.some((x, k) => !same(x, i.candidates[k]))) {
          mismatch("args.candidates", i.candidates.join(","));
        }
        if (a.slate !== undefined) mismatch("args.slate", "none");
        break;
      }
      case "voteSlate":
        if (p.action !== "vote") mismatch("action", "vote");
        if (!same(a.slate, i.slate)) mismatch("args.slate", i.slate);
        if (a.candidates !== undefined) mismatch("args.candidates", "none");
        break;
    }
    if (!same(p.contract, i.proxy)) mismatch("contract", i.proxy);
    return;
  }
  const intents = d.intents.filter((i) => i.kind !== "reveal");
  if (intents.length !== 1) {
    refuse(
      "POLICY_PAYLOAD_MISMATCH",
      `one authorization covers one action, the operation has ${intents.length}`,
      "authorization",
    );
  }
  const i = intents[0]!;
  if (i.kind === "setDelegate") {
    if (p.action !== "delegate") mismatch("action", "delegate");
    if (!same(p.contract, i.contract)) mismatch("contract", i.contract);
    if ((a.baker ?? null) !== i.baker || a.baker === undefined) mismatch("args.baker", String(i.baker));
  } else if (i.kind === "originate") {
    if (p.action !== "originate") mismatch("action", "originate");
    if (!same(a.cold, i.cold)) mismatch("args.cold", i.cold);
    if (!same(a.hot, i.hot)) mismatch("args.hot", i.hot);
  }
}

/**
 * Reads a pinned genesis quorum file.
 *
 * @throws {Error} naming the file and the bad field when it is not a genesis quorum (the signer
 * then refuses to start).
 */
export function readGenesisFile(path: string): GenesisQuorum {
  const g = JSON.parse(readFileSync(path, "utf8")) as GenesisQuorum;
  try {
    return validateGenesis(g);
  } catch (err) {
    throw new Error(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

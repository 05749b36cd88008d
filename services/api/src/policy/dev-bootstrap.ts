/**
 * DEVELOPMENT ONLY: a genesis quorum and an activated policy for the local main job.
 *
 * `ensureDevGenesis(dir)` creates three Ed25519 "officer" keys in `dir` (files named
 * `DEV-ONLY-officer-*.key`, mode 0600) and the genesis quorum file (2 of 3) that both the API
 * (`POLICY_GENESIS_FILE`) and the hot signer (`SIGNER_POLICY_GENESIS_FILE`) pin. Keys that sit
 * next to the service they govern defeat the purpose of a quorum: never use this for value.
 *
 * `bootstrapDevPolicy` then proposes the example policy (docs/policy/example-policy.json, with
 * the local chief and bakers substituted for the placeholders) through the API and signs it with
 * two dev officers, idempotently: a second start finds it active and does nothing. Given the dev
 * officers' (software) passkeys, `devPolicyFromExample` makes the officers the policy's only
 * approvers, in every group, so the local demo can approve what the policy holds for people.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { signPolicyActivation } from "../../../policy/src/quorum.js";
import type { GenesisQuorum } from "../../../policy/src/quorum.js";
import type { Approver, Passkey, PolicyDocument } from "../../../policy/src/schema.js";
import { validatePolicy } from "../../../policy/src/validate.js";

const EXAMPLE = fileURLToPath(new URL("../../../../docs/policy/example-policy.json", import.meta.url));
const OFFICERS = ["dev-officer-1", "dev-officer-2", "dev-officer-3"] as const;

/** The DEV ONLY approver ids of the local main job (the genesis officers). */
export const DEV_APPROVER_IDS: readonly string[] = OFFICERS;

/** The dev genesis: where its file is and the officers' secret keys (dev only). */
export interface DevGenesis {
  readonly genesisFile: string;
  readonly genesis: GenesisQuorum;
  readonly secrets: ReadonlyMap<string, Uint8Array>;
}

/**
 * Creates (or reads back) the dev genesis quorum in `dir`.
 *
 * @example const { genesisFile } = ensureDevGenesis(path.join(home, "dev-policy"));
 */
export function ensureDevGenesis(dir: string): DevGenesis {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secrets = new Map<string, Uint8Array>();
  for (const id of OFFICERS) {
    const file = path.join(dir, `DEV-ONLY-${id}.key`);
    if (!existsSync(file)) {
      writeFileSync(file, bytesToHex(randomBytes(32)) + "\n", { mode: 0o600 });
      chmodSync(file, 0o600);
    }
    secrets.set(id, hexToBytes(readFileSync(file, "utf8").trim()));
  }
  const genesis: GenesisQuorum = {
    approvers: OFFICERS.map((id) => ({
      id,
      publicKeys: [bytesToHex(ed25519.getPublicKey(secrets.get(id)!))],
    })),
    threshold: 2,
  };
  const genesisFile = path.join(dir, "genesis.json");
  const text =
    JSON.stringify({ ...genesis, note: "DEVELOPMENT ONLY genesis quorum of the local main job" }, null, 2) +
    "\n";
  if (!existsSync(genesisFile) || readFileSync(genesisFile, "utf8") !== text)
    writeFileSync(genesisFile, text, { mode: 0o600 });
  return { genesisFile, genesis, secrets };
}

/** Environment for the API and the signer that pins the dev genesis. */
export function devPolicyEnv(dev: DevGenesis): {
  api: Record<string, string>;
  signer: Record<string, string>;
} {
  return {
    api: { POLICY_ENFORCEMENT: "on", POLICY_GENESIS_FILE: dev.genesisFile },
    signer: { SIGNER_POLICY_ENFORCEMENT: "on", SIGNER_POLICY_GENESIS_FILE: dev.genesisFile },
  };
}

/**
 * The example policy with the local deployment's chief and bakers in place of the documented
 * placeholders, and the console's WebAuthn relying party.
 *
 * @throws {PolicyValidationError} if the result is not a valid policy.
 */
export function devPolicyFromExample(local: {
  chief?: string;
  bakers?: readonly string[];
  consoleOrigin?: string;
  /** The dev officers with their passkeys: they replace the example's approvers in every group. */
  approvers?: { readonly dev: DevGenesis; readonly passkeys: ReadonlyMap<string, Passkey> };
}): PolicyDocument {
  const doc = JSON.parse(readFileSync(EXAMPLE, "utf8")) as PolicyDocument;
  doc.description =
    `DEVELOPMENT copy of the example policy for the local main job. ${doc.description ?? ""}`.slice(0, 500);
  for (const rule of doc.rules) {
    const lists = rule.conditions?.allowlists;
    if (lists?.chiefs !== undefined && local.chief !== undefined) lists.chiefs = [local.chief.toLowerCase()];
    if (lists?.bakers !== undefined && local.bakers !== undefined && local.bakers.length > 0)
      lists.bakers = [...local.bakers];
  }
  if (local.consoleOrigin !== undefined) {
    const url = new URL(local.consoleOrigin);
    doc.webauthn = { rpId: url.hostname, origins: [url.origin] };
  }
  if (local.approvers !== undefined) {
    const { dev, passkeys } = local.approvers;
    const officers: Approver[] = dev.genesis.approvers.map((a, i) => ({
      id: a.id,
      name: `DEV ONLY officer ${i + 1}`,
      publicKeys: [...(a.publicKeys ?? [])],
      ...(passkeys.has(a.id) ? { passkeys: [passkeys.get(a.id)!] } : {}),
    }));
    for (const group of Object.values(doc.approverGroups)) {
      group.description = `DEV ONLY: the local main job's officers. ${group.description ?? ""}`.slice(0, 500);
      group.approvers = officers;
    }
  }
  return validatePolicy(doc);
}

/** What {@link bootstrapDevPolicy} needs. */
export interface DevBootstrapOptions {
  readonly apiUrl: string;
  readonly adminKey: string;
  readonly dev: DevGenesis;
  readonly policy: PolicyDocument;
  readonly log: (line: string) => void;
}

/** The parts of the API's answers this bootstrap reads. */
interface ApiAnswer {
  readonly hash?: string;
  readonly version?: number;
  readonly activated?: boolean;
  readonly document?: PolicyDocument;
  readonly error?: { readonly code?: string };
}

function passkeysOf(policy: PolicyDocument): string[] {
  return Object.values(policy.approverGroups).flatMap((g) =>
    g.approvers.flatMap((a) => (a.passkeys ?? []).map((p) => p.credentialId)),
  );
}

async function call(
  o: DevBootstrapOptions,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; json: ApiAnswer | null }> {
  const res = await fetch(o.apiUrl + route, {
    method,
    headers: {
      authorization: `Bearer ${o.adminKey}`,
      ...(body !== undefined
        ? {
            "content-type": "application/json",
            "idempotency-key": `dev-policy-${randomBytes(8).toString("hex")}`,
          }
        : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? null : (JSON.parse(text) as ApiAnswer) };
}

/**
 * Proposes and activates the dev policy through the API, unless a policy is already active.
 *
 * @throws {Error} when the API refuses the proposal or the quorum does not activate it.
 */
export async function bootstrapDevPolicy(
  o: DevBootstrapOptions,
): Promise<{ hash: string; version: number; created: boolean }> {
  const active = await call(o, "GET", "/v1/policies/active");
  if (active.status === 200 && active.json?.hash !== undefined) {
    o.log(`policy v${active.json.version} ${active.json.hash} is active`);
    const listed = JSON.stringify(active.json.document?.approverGroups ?? {});
    const missing = passkeysOf(o.policy).filter((id) => !listed.includes(id));
    if (missing.length > 0)
      o.log(
        `WARNING: the active policy does not list ${missing.length} dev passkey(s); approvals in the demo will fail. ` +
          `Delete ${path.dirname(o.dev.genesisFile)}/.. to start from a fresh dev policy.`,
      );
    return { hash: active.json.hash, version: active.json.version ?? 0, created: false };
  }
  const proposed = await call(o, "POST", "/v1/policies", { document: o.policy });
  if (proposed.status !== 201 && proposed.status !== 200)
    throw new Error(`dev policy proposal refused: ${JSON.stringify(proposed.json)}`);
  const hash = String(proposed.json?.hash);
  let activated = false;
  for (const id of OFFICERS.slice(0, 2)) {
    const signed = await call(
      o,
      "POST",
      `/v1/policies/${hash}/signatures`,
      signPolicyActivation(o.policy, o.dev.secrets.get(id)!),
    );
    if (signed.status !== 201 && signed.json?.error?.code !== "duplicate_signature") {
      throw new Error(`dev policy signature by ${id} refused: ${JSON.stringify(signed.json)}`);
    }
    activated ||= signed.json?.activated === true;
  }
  const check = await call(o, "GET", "/v1/policies/active");
  if (check.status !== 200 || check.json?.hash !== hash)
    throw new Error("the dev policy did not become active");
  o.log(
    `DEV ONLY: activated policy v1 ${hash} with the dev genesis quorum (keys in ${path.dirname(o.dev.genesisFile)})`,
  );
  return { hash, version: 1, created: activated };
}

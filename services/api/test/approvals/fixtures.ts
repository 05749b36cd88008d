/** Policy fixtures: the shipped example policy with the test approvers' passkeys in it. */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Database } from "../../../db/src/database.js";
import { OperationsRepository, StakingContractsRepository } from "../../../db/src/repositories.js";
import { SignerClient } from "../../../signer/src/client.js";
import { parseApiKeyToken } from "../../src/auth/api-key-tokens.js";
import { TaquitoTezosChain } from "../../src/chains/tezos-taquito-chain.js";
import type { StakingRuntime } from "../../src/staking/settings.js";
import type { GenesisQuorum } from "../../../policy/src/quorum.js";
import type { Passkey, PolicyDocument } from "../../../policy/src/schema.js";
import { ORIGIN, RP_ID } from "./harness.js";

const EXAMPLE = new URL("../../../../docs/policy/example-policy.json", import.meta.url);

/**
 * Version 1 of the example policy where the ops approvers named in `passkeys` approve with those
 * passkeys (the others keep their Ed25519 keys), signing for this test's relying party.
 */
export function policyV1(passkeys: Readonly<Record<string, Passkey>>, origin = ORIGIN): PolicyDocument {
  const doc = JSON.parse(readFileSync(EXAMPLE, "utf8")) as PolicyDocument;
  for (const group of Object.values(doc.approverGroups)) {
    for (const approver of group.approvers) {
      const pk = passkeys[approver.id];
      if (pk) (approver as { passkeys?: Passkey[] }).passkeys = [pk];
    }
  }
  return { ...doc, webauthn: { rpId: RP_ID, origins: [origin] } };
}

/** A genesis quorum of `threshold` among the given passkey holders. */
export function genesisOf(
  passkeys: Readonly<Record<string, Passkey>>,
  threshold: number,
  origin = ORIGIN,
): GenesisQuorum {
  return {
    approvers: Object.entries(passkeys).map(([id, p]) => ({
      id,
      passkeys: [{ credentialId: p.credentialId, publicKey: p.publicKey }],
    })),
    threshold,
    webauthn: { rpId: RP_ID, origins: [origin] },
  };
}

/** A baker the example policy does not allowlist: delegating to it needs two ops approvers. */
export const UNLISTED_BAKER = "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb";
const CUSTOMER_TZ1 = "tz1gjaF81ZRRvdzjobyfVNsAeSC6PScjfQwN";
const CUSTOMER_EVM = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const CONTRACT = "KT1BEqzn5Wx8uJrZNvuS9DVHmLvG9td3fDLi";

/**
 * The staking runtime for tests that only queue intents: no node is ever called, because the
 * outbox worker is not started (createApp does not start it); only the request path runs.
 */
export function queueOnlyStaking(): StakingRuntime {
  return {
    chain: new TaquitoTezosChain(
      "http://127.0.0.1:9",
      new SignerClient({ url: "http://127.0.0.1:9", token: "x".repeat(32) }),
      "tezos-hot",
    ),
  };
}

/**
 * A customer whose delegation contract's origination is confirmed, written as the outbox worker
 * and indexer leave it (the origination itself needs a Tezos node and the hot signer).
 */
export async function customerWithContract(
  database: Database,
  post: (url: string, body: unknown) => Promise<{ statusCode: number; body: string; json(): unknown }>,
  adminToken: string,
): Promise<string> {
  const res = await post("/v1/customers", {
    name: "Acme",
    evmColdAddress: CUSTOMER_EVM,
    tezosColdAddress: CUSTOMER_TZ1,
  });
  if (res.statusCode !== 201) throw new Error(`customer: ${res.body}`);
  const customerId = (res.json() as { id: string }).id;
  const keyId = parseApiKeyToken(adminToken)!.id;
  const operationId = randomUUID();
  const at = new Date(Date.now() - 3_600_000);
  const ops = new OperationsRepository();
  await ops.insertQueued(database.db, {
    id: operationId,
    customerId,
    chain: "tezos",
    kind: "staking.originate",
    apiKeyId: keyId,
    idempotencyKey: `fixture-${operationId}`,
    requestHash: "fixture",
    at,
  });
  await ops.setStatus(database.db, operationId, "confirmed", at);
  await new StakingContractsRepository().insert(database.db, {
    customerId,
    contractAddress: CONTRACT,
    coldAddress: CUSTOMER_TZ1,
    hotAddress: "tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx",
    operationId,
    createdAt: at,
  });
  return customerId;
}

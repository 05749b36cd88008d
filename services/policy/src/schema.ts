/**
 * The policy document format (`coldpath-policy/1`) and the intent format, as zod schemas.
 *
 * The zod schemas check shape (types, patterns, unknown fields); `validatePolicy` then checks
 * what a schema cannot express (references between groups and rules, counts against group
 * sizes, and that an `allow` rule is always bounded). `docs/policy/policy.schema.json` is
 * generated from `policyDocumentSchema` and a test keeps the two identical.
 */
import { z } from "zod";

/** Every action the custody service can ask the hot path for. */
export const ACTIONS = [
  "originate",
  "lock",
  "free",
  "freeAll",
  "vote",
  "delegate",
  "withdrawal-preparation",
] as const;
export type Action = (typeof ACTIONS)[number];

/** UTC days of the week, Monday first (ISO 8601 order). */
export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Day = (typeof DAYS)[number];

/** Identifier of the document format; a new format gets a new identifier. */
export const POLICY_FORMAT = "coldpath-policy/1";

/** Longest rolling window a velocity limit may use: 31 days. */
export const MAX_WINDOW_SECONDS = 31 * 24 * 3600;

const nameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "expected 1-64 of a-z 0-9 . _ - (lowercase)");
const customerSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, "expected a customer id (1-128 of A-Z a-z 0-9 . _ : -)");
const hex32Schema = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex characters");
const decimalSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77})$/, "expected a decimal integer string in base units");
const addressSchema = z
  .string()
  .regex(/^[A-Za-z0-9]{1,100}$/, "expected an address (0x… hex or base58, at most 100 characters)");
const slateSchema = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a 0x-prefixed bytes32 slate id");
const textSchema = z.string().max(500);

/**
 * A WebAuthn passkey (ES256: ECDSA P-256 with SHA-256) that an approver registered in the console.
 * It only counts once a quorum-activated policy version lists it: the database cannot add one.
 */
const passkeySchema = z.strictObject({
  /** The WebAuthn credential id, base64url without padding. */
  credentialId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,1366}$/, "expected a base64url credential id (16-1366 characters)"),
  /** Uncompressed P-256 point `04 || x || y`, 130 lowercase hex characters. */
  publicKey: z.string().regex(/^04[0-9a-f]{128}$/, "expected an uncompressed P-256 point (04 + 128 hex)"),
  algorithm: z.literal("ES256"),
  label: textSchema.optional(),
});

// An approver needs at least one way to sign: an Ed25519 key (offline tooling) or a passkey.
const approverSchema = z
  .strictObject({
    id: nameSchema,
    name: textSchema.optional(),
    label: textSchema.optional(),
    publicKeys: z.array(hex32Schema).min(1).max(8).optional(),
    passkeys: z.array(passkeySchema).min(1).max(8).optional(),
  })
  .refine((a) => a.publicKeys !== undefined || a.passkeys !== undefined, {
    message: "an approver needs publicKeys or passkeys",
    path: ["publicKeys"],
  });

const approverGroupSchema = z.strictObject({
  description: textSchema.optional(),
  approvers: z.array(approverSchema).min(1).max(100),
});

const quorumSchema = z.strictObject({
  group: nameSchema,
  threshold: z.int().min(1).max(100),
});

const velocitySchema = z.strictObject({
  windowSeconds: z.int().min(1).max(MAX_WINDOW_SECONDS),
  maxCount: z.int().min(1).max(1_000_000).optional(),
  maxAmount: decimalSchema.optional(),
});

const timeWindowSchema = z.strictObject({
  days: z.array(z.enum(DAYS)).min(1).max(7).optional(),
  fromHour: z.int().min(0).max(23),
  toHour: z.int().min(0).max(24),
});

const allowlistsSchema = z.strictObject({
  chiefs: z.array(addressSchema).min(1).max(10_000).optional(),
  candidates: z.array(addressSchema).min(1).max(10_000).optional(),
  slates: z.array(slateSchema).min(1).max(10_000).optional(),
  bakers: z.array(addressSchema).min(1).max(10_000).optional(),
});

const matchSchema = z.strictObject({
  actions: z.array(z.enum(ACTIONS)).min(1).max(ACTIONS.length),
  customers: z.array(customerSchema).min(1).max(100_000).optional(),
  chains: z.array(nameSchema).min(1).max(100).optional(),
  assets: z.array(nameSchema).min(1).max(100).optional(),
});

const conditionsSchema = z.strictObject({
  maxAmount: decimalSchema.optional(),
  velocity: z.array(velocitySchema).min(1).max(8).optional(),
  allowlists: allowlistsSchema.optional(),
  timeWindow: timeWindowSchema.optional(),
});

const requireSchema = z.strictObject({
  type: z.literal("require"),
  group: nameSchema,
  count: z.int().min(1).max(100),
});
const denySchema = z.strictObject({ type: z.literal("deny") });
const outcomeSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("allow") }),
  requireSchema,
  denySchema,
]);
// An intent outside a rule's conditions may be escalated or refused, never auto-allowed.
const otherwiseSchema = z.discriminatedUnion("type", [requireSchema, denySchema]);

const ruleSchema = z.strictObject({
  id: nameSchema,
  description: textSchema.optional(),
  match: matchSchema,
  conditions: conditionsSchema.optional(),
  outcome: outcomeSchema,
  otherwise: otherwiseSchema.optional(),
});

/**
 * Where approvers' passkeys sign (WebAuthn relying party). Part of the signed document, so the
 * API, the signer and auditors verify approvals against the same, quorum-approved values.
 */
export const webauthnSettingsSchema = z.strictObject({
  rpId: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, "expected a WebAuthn rpId (a host name, lowercase)"),
  origins: z
    .array(
      z
        .string()
        .regex(/^https?:\/\/[a-z0-9.-]+(:[0-9]{1,5})?$/, "expected an origin like https://host[:port]"),
    )
    .min(1)
    .max(16),
});
export type WebAuthnSettings = z.infer<typeof webauthnSettingsSchema>;

/** Shape of a policy document (semantic checks live in `validatePolicy`). */
export const policyDocumentSchema = z.strictObject({
  format: z.literal(POLICY_FORMAT),
  version: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
  previousPolicyHash: hex32Schema.nullable(),
  description: textSchema.optional(),
  webauthn: webauthnSettingsSchema.optional(),
  approverGroups: z.record(nameSchema, approverGroupSchema),
  quorum: quorumSchema,
  rules: z.array(ruleSchema).max(100_000),
});

export type PolicyDocument = z.infer<typeof policyDocumentSchema>;
export type PolicyRule = PolicyDocument["rules"][number];
export type RuleOutcome = PolicyRule["outcome"];
export type Approver = PolicyDocument["approverGroups"][string]["approvers"][number];
export type QuorumSpec = PolicyDocument["quorum"];
export type Passkey = NonNullable<Approver["passkeys"]>[number];

/** An ISO 8601 UTC timestamp with a `Z` suffix, e.g. `2026-11-22T13:05:00Z` or `…:00.250Z`. */
export const timestampSchema = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/,
    "expected an ISO 8601 UTC timestamp like 2026-11-22T13:05:00Z",
  )
  .refine((s) => isRealDate(s), "not a real calendar date and time");

function isRealDate(s: string): boolean {
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return false;
  // Date.parse rolls 2026-02-30 over to March: compare the date part back.
  return new Date(ms).toISOString().slice(0, 19) === s.slice(0, 19);
}

/** A hot action as the policy engine sees it, before anything is signed. */
export const intentSchema = z.strictObject({
  id: z.string().min(1).max(200).optional(),
  action: z.enum(ACTIONS),
  customer: customerSchema,
  chain: nameSchema,
  asset: nameSchema,
  /** Base units; lock/free: the amount moved, freeAll: what is freed, withdrawals: the total. */
  amount: decimalSchema.optional(),
  chief: addressSchema.optional(),
  candidates: z.array(addressSchema).min(0).max(100).optional(),
  slate: slateSchema.optional(),
  /** `null` removes the delegate. */
  baker: addressSchema.nullable().optional(),
  at: timestampSchema,
});

export type Intent = z.infer<typeof intentSchema>;

/**
 * The published JSON Schema of policy documents (`docs/policy/policy.schema.json`), generated
 * from `policyDocumentSchema`. It covers the shape only; `validatePolicy` adds the semantic
 * checks a JSON Schema cannot express.
 */
export function policyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(policyDocumentSchema, { target: "draft-2020-12", io: "input" }),
    $id: "https://coldpath.dev/schemas/coldpath-policy-1.json",
    title: "Coldpath policy document (coldpath-policy/1)",
    description:
      "Shape of a policy document. Semantic checks (group references, counts against group sizes, bounded allow rules) are applied by validatePolicy; see docs/policy/README.md.",
  };
}

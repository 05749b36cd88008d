/**
 * Configuration from environment variables, validated once at start-up. Every setting and its
 * default is listed in `services/signer/.env.example`.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { getAddress } from "ethers";
import { z } from "zod";
import { ConfigError } from "./errors.js";
import type { Curve } from "./keys/backend.js";
import { KEY_ID_PATTERN } from "./keys/backend.js";
import type { EvmFactory } from "./allowlist/evm.js";

/** The validated configuration. */
export interface SignerConfig {
  readonly host: string;
  readonly port: number;
  readonly apiToken: string;
  readonly maxBodyBytes: number;
  readonly dataDir: string;
  readonly backend:
    | {
        readonly kind: "sealed";
        readonly path: string;
        readonly passphrase?: string;
        readonly keyFile?: string;
      }
    | {
        readonly kind: "pkcs11";
        readonly library: string;
        readonly tokenLabel: string;
        readonly pin: string;
      };
  readonly keys: readonly { keyId: string; curve: Curve }[];
  readonly evm: {
    readonly chainId: bigint;
    readonly factories: readonly EvmFactory[];
    readonly maxGasLimit: bigint;
    readonly maxFeePerGas: bigint;
    readonly maxCandidates: number;
    /** Fee-bump replacements signed per nonce (decision 0963). */
    readonly maxReplacements?: number;
    /** Most recent nonces per key whose last signed transaction is remembered for replacements. */
    readonly replacementWindow?: number;
    readonly rpcUrl?: string;
  };
  readonly tezos: {
    readonly maxFeeMutez: bigint;
    readonly maxGasLimit: bigint;
    readonly maxStorageLimit: bigint;
    readonly bakers: readonly string[];
  };
  readonly allowlistFile?: string;
  /**
   * The policy gate: `on` (the default of `loadConfig`) verifies every sign request's policy
   * authorization against the quorum-activated policy, pinned to the genesis quorum in
   * `genesisFile`. A programmatic config without it runs without the gate (allowlist tests only).
   */
  readonly policy?: { readonly enforcement: "on" | "off"; readonly genesisFile?: string };
}

const LOCAL_ADDRESSES = fileURLToPath(new URL("../../../deploy/addresses/local.json", import.meta.url));

/** Factories of the deterministic local deployment (`deploy/addresses/local.json`). */
export function localFactories(): string {
  const local = JSON.parse(readFileSync(LOCAL_ADDRESSES, "utf8")) as Record<
    string,
    { factory?: string; implementation?: string }
  >;
  return Object.values(local)
    .filter((v) => typeof v === "object" && v.factory !== undefined && v.implementation !== undefined)
    .map((v) => `${v.factory}:${v.implementation}`)
    .join(",");
}

/** The API service's settings for reaching the signer; a shared environment may carry them. */
const CLIENT_SETTINGS = new Set(["SIGNER_URL", "SIGNER_TOKEN"]);

const uint = (name: string) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a non-negative decimal integer`)
    .transform((v) => BigInt(v));

const schema = z.strictObject({
  SIGNER_HOST: z.string().default("127.0.0.1"),
  SIGNER_PORT: z.coerce.number().int().min(0).max(65535).default(7001),
  SIGNER_API_TOKEN: z
    .string()
    .min(32, "SIGNER_API_TOKEN must be at least 32 characters (e.g. openssl rand -hex 32)"),
  SIGNER_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(10_000_000).default(65536),
  SIGNER_DATA_DIR: z.string().default(".data/signer"),
  SIGNER_BACKEND: z.enum(["sealed", "pkcs11"]).default("sealed"),
  SIGNER_SEALED_FILE: z.string().optional(),
  SIGNER_SEALED_PASSPHRASE: z
    .string()
    .min(12, "SIGNER_SEALED_PASSPHRASE must be at least 12 characters")
    .optional(),
  SIGNER_SEALED_KEY_FILE: z.string().optional(),
  SIGNER_PKCS11_LIBRARY: z.string().default("/usr/lib/softhsm/libsofthsm2.so"),
  SIGNER_PKCS11_TOKEN_LABEL: z.string().default("coldpath-hot"),
  SIGNER_PKCS11_PIN: z.string().optional(),
  SIGNER_KEYS: z.string().default("evm-hot:secp256k1,tezos-hot:ed25519"),
  SIGNER_EVM_CHAIN_ID: uint("SIGNER_EVM_CHAIN_ID").default(31337n),
  SIGNER_EVM_FACTORIES: z.string().optional(),
  SIGNER_EVM_MAX_GAS_LIMIT: uint("SIGNER_EVM_MAX_GAS_LIMIT").default(1_000_000n),
  SIGNER_EVM_MAX_FEE_PER_GAS: uint("SIGNER_EVM_MAX_FEE_PER_GAS").default(500_000_000_000n),
  SIGNER_EVM_MAX_CANDIDATES: z.coerce.number().int().min(1).max(256).default(16),
  SIGNER_EVM_MAX_REPLACEMENTS: z.coerce.number().int().min(0).max(1000).default(10),
  SIGNER_EVM_REPLACEMENT_WINDOW: z.coerce.number().int().min(1).max(100_000).default(256),
  SIGNER_EVM_RPC_URL: z.url().optional(),
  SIGNER_TEZOS_MAX_FEE_MUTEZ: uint("SIGNER_TEZOS_MAX_FEE_MUTEZ").default(100_000n),
  SIGNER_TEZOS_MAX_GAS_LIMIT: uint("SIGNER_TEZOS_MAX_GAS_LIMIT").default(100_000n),
  SIGNER_TEZOS_MAX_STORAGE_LIMIT: uint("SIGNER_TEZOS_MAX_STORAGE_LIMIT").default(2_000n),
  SIGNER_TEZOS_BAKERS: z.string().default(""),
  SIGNER_ALLOWLIST_FILE: z.string().optional(),
  SIGNER_POLICY_ENFORCEMENT: z.enum(["on", "off"]).default("on"),
  SIGNER_POLICY_GENESIS_FILE: z.string().optional(),
});

function parseKeys(spec: string): { keyId: string; curve: Curve }[] {
  return spec
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((entry) => {
      const [keyId, curve] = entry.split(":");
      if (
        keyId === undefined ||
        !KEY_ID_PATTERN.test(keyId) ||
        (curve !== "secp256k1" && curve !== "ed25519")
      ) {
        throw new ConfigError(
          "SIGNER_KEYS",
          `expected id:secp256k1|ed25519 entries, got ${JSON.stringify(entry)}`,
        );
      }
      return { keyId, curve };
    });
}

function parseFactories(spec: string): EvmFactory[] {
  return spec
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((entry) => {
      const [factory, implementation] = entry.split(":");
      try {
        return { factory: getAddress(factory ?? ""), implementation: getAddress(implementation ?? "") };
      } catch {
        throw new ConfigError(
          "SIGNER_EVM_FACTORIES",
          `expected factory:implementation address pairs, got ${JSON.stringify(entry)}`,
        );
      }
    });
}

/**
 * Validates the environment.
 *
 * @throws {ConfigError} naming the first bad variable, with the reason.
 * @example const config = loadConfig(process.env);
 */
export function loadConfig(env: Record<string, string | undefined>): SignerConfig {
  const relevant = Object.fromEntries(
    Object.entries(env).filter(
      ([k, v]) => k.startsWith("SIGNER_") && !CLIENT_SETTINGS.has(k) && v !== undefined && v !== "",
    ),
  );
  const parsed = schema.safeParse(relevant);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.code === "unrecognized_keys" ? issue.keys.join(",") : String(issue.path[0] ?? "env");
    const reason =
      issue.code === "unrecognized_keys"
        ? "unknown setting (see services/signer/.env.example)"
        : issue.code === "invalid_type" && issue.input === undefined
          ? "required (see services/signer/.env.example)"
          : issue.message;
    throw new ConfigError(field, reason);
  }
  const e = parsed.data;
  const dataDir = resolve(e.SIGNER_DATA_DIR);
  let backend: SignerConfig["backend"];
  if (e.SIGNER_BACKEND === "sealed") {
    if ((e.SIGNER_SEALED_PASSPHRASE === undefined) === (e.SIGNER_SEALED_KEY_FILE === undefined)) {
      throw new ConfigError(
        "SIGNER_SEALED_PASSPHRASE",
        "set exactly one of SIGNER_SEALED_PASSPHRASE or SIGNER_SEALED_KEY_FILE",
      );
    }
    backend = {
      kind: "sealed",
      path: resolve(e.SIGNER_SEALED_FILE ?? join(dataDir, "keys.sealed.json")),
      ...(e.SIGNER_SEALED_PASSPHRASE !== undefined ? { passphrase: e.SIGNER_SEALED_PASSPHRASE } : {}),
      ...(e.SIGNER_SEALED_KEY_FILE !== undefined ? { keyFile: resolve(e.SIGNER_SEALED_KEY_FILE) } : {}),
    };
  } else {
    if (e.SIGNER_PKCS11_PIN === undefined)
      throw new ConfigError("SIGNER_PKCS11_PIN", "required with SIGNER_BACKEND=pkcs11");
    backend = {
      kind: "pkcs11",
      library: e.SIGNER_PKCS11_LIBRARY,
      tokenLabel: e.SIGNER_PKCS11_TOKEN_LABEL,
      pin: e.SIGNER_PKCS11_PIN,
    };
  }
  const factories = parseFactories(e.SIGNER_EVM_FACTORIES ?? localFactories());
  if (factories.length === 0)
    throw new ConfigError("SIGNER_EVM_FACTORIES", "at least one factory:implementation pair is required");
  const bakers = e.SIGNER_TEZOS_BAKERS.split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const b of bakers) {
    if (!/^tz[1234][1-9A-HJ-NP-Za-km-z]{33}$/.test(b))
      throw new ConfigError("SIGNER_TEZOS_BAKERS", `not a key hash: ${b}`);
  }
  return {
    host: e.SIGNER_HOST,
    port: e.SIGNER_PORT,
    apiToken: e.SIGNER_API_TOKEN,
    maxBodyBytes: e.SIGNER_MAX_BODY_BYTES,
    dataDir,
    backend,
    keys: parseKeys(e.SIGNER_KEYS),
    evm: {
      chainId: e.SIGNER_EVM_CHAIN_ID,
      factories,
      maxGasLimit: e.SIGNER_EVM_MAX_GAS_LIMIT,
      maxFeePerGas: e.SIGNER_EVM_MAX_FEE_PER_GAS,
      maxCandidates: e.SIGNER_EVM_MAX_CANDIDATES,
      maxReplacements: e.SIGNER_EVM_MAX_REPLACEMENTS,
      replacementWindow: e.SIGNER_EVM_REPLACEMENT_WINDOW,
      ...(e.SIGNER_EVM_RPC_URL !== undefined ? { rpcUrl: e.SIGNER_EVM_RPC_URL } : {}),
    },
    tezos: {
      maxFeeMutez: e.SIGNER_TEZOS_MAX_FEE_MUTEZ,
      maxGasLimit: e.SIGNER_TEZOS_MAX_GAS_LIMIT,
      maxStorageLimit: e.SIGNER_TEZOS_MAX_STORAGE_LIMIT,
      bakers,
    },
    ...(e.SIGNER_ALLOWLIST_FILE !== undefined ? { allowlistFile: resolve(e.SIGNER_ALLOWLIST_FILE) } : {}),
    policy: {
      enforcement: e.SIGNER_POLICY_ENFORCEMENT,
      ...(e.SIGNER_POLICY_GENESIS_FILE !== undefined
        ? { genesisFile: resolve(e.SIGNER_POLICY_GENESIS_FILE) }
        : {}),
    },
  };
}

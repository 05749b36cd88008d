/**
 * Wires a {@link HotSignerCore} from a validated configuration: opens the key backend, creates
 * missing keys, loads nonces, learned contracts and the audit log from the data directory.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import type { SignerConfig } from "./config.js";
import { SealedKeyBackend } from "./keys/sealed.js";
import { Pkcs11KeyBackend } from "./keys/pkcs11.js";
import type { KeyBackend } from "./keys/backend.js";
import { HotSignerCore } from "./signer.js";
import { AuditLog } from "./state/audit.js";
import { KnownContracts } from "./state/known-contracts.js";
import { NonceStore } from "./state/nonces.js";
import { SignedAtNonceStore } from "./state/signed-at-nonce.js";
import { PolicyGate, readGenesisFile } from "./policy/gate.js";
import { startSignerServer } from "./http/server.js";
import type { RunningSignerServer } from "./http/server.js";

/** Opens the configured key backend. */
export async function openBackend(config: SignerConfig): Promise<KeyBackend> {
  const b = config.backend;
  if (b.kind === "pkcs11")
    return Pkcs11KeyBackend.open({ library: b.library, tokenLabel: b.tokenLabel, pin: b.pin });
  return SealedKeyBackend.open({
    path: b.path,
    secret: b.passphrase !== undefined ? { passphrase: b.passphrase } : { keyFile: b.keyFile! },
    create: true,
  });
}

/** Builds the core on `config.dataDir` and ensures the configured keys exist. */
export async function buildCore(config: SignerConfig, backend?: KeyBackend): Promise<HotSignerCore> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const core = new HotSignerCore({
    backend: backend ?? (await openBackend(config)),
    evm: config.evm,
    tezos: config.tezos,
    nonces: new NonceStore(join(config.dataDir, "nonces.jsonl")),
    signed: new SignedAtNonceStore(
      join(config.dataDir, "evm-signed-at-nonce.jsonl"),
      config.evm.replacementWindow,
    ),
    known: new KnownContracts(join(config.dataDir, "learned-contracts.jsonl"), config.allowlistFile),
    audit: new AuditLog(join(config.dataDir, "audit.jsonl")),
    ...(config.policy?.enforcement === "on"
      ? {
          policy: new PolicyGate({
            genesis:
              config.policy.genesisFile !== undefined ? readGenesisFile(config.policy.genesisFile) : null,
            dataDir: config.dataDir,
          }),
        }
      : {}),
  });
  await core.ensureKeys(config.keys);
  return core;
}

/** Builds the core and starts the HTTP API. */
export async function startSigner(
  config: SignerConfig,
  backend?: KeyBackend,
): Promise<RunningSignerServer & { core: HotSignerCore }> {
  const core = await buildCore(config, backend);
  const rpcUrl = config.evm.rpcUrl;
  const provider =
    rpcUrl !== undefined ? new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true }) : undefined;
  const running = await startSignerServer({
    core,
    apiToken: config.apiToken,
    host: config.host,
    port: config.port,
    maxBodyBytes: config.maxBodyBytes,
    ...(provider !== undefined
      ? { chainNonce: async (a: string) => BigInt(await provider.getTransactionCount(a, "pending")) }
      : {}),
  });
  return {
    ...running,
    core,
    close: async () => {
      await running.close();
      provider?.destroy();
      await core.close();
    },
  };
}

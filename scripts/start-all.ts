/**
 * The main job on embedded defaults: starts everything locally and keeps it running.
 *
 *   EVM dev chain     Hardhat's EVM over JSON-RPC, DSChief stand-in + our factory deployed
 *   Tezos sandbox     the in-repo node (Michelson interpreter, ledger, RPC subset)
 *   hot signer        its own process, keys in a sealed file (created on first run)
 *   custody API       NestJS on PORT (3000), PGlite on disk, OpenAPI at /docs
 *
 * State lives in COLDPATH_HOME (default `.coldpath/`), so a second start resumes where the first
 * stopped: both chains replay their journals, the database and the sealed keys are on disk.
 * Ctrl-C (SIGINT) or SIGTERM stops every process cleanly. Logs: COLDPATH_HOME/logs/<name>.log.
 *
 * Policy enforcement is on in the API and in the signer. A DEVELOPMENT policy is bootstrapped:
 * three DEV-ONLY officers (keys and software passkeys in COLDPATH_HOME/dev-policy/) pin the
 * genesis quorum, register their passkeys through the console's enrolment and WebAuthn
 * registration endpoints, and activate the example policy listing those passkeys; `npm run demo`
 * approves as them through the console's endpoints. Production approvers use real passkeys in
 * the console at /console.
 *
 * Settings (environment): PORT, SIGNER_PORT, EVM_PORT, TEZOS_PORT (defaults 3000, 7001, 8545,
 * 8732), HOST (127.0.0.1), COLDPATH_HOME, COLDPATH_DEV_PASSPHRASE (seals the dev hot keys),
 * COLDPATH_DEV_POLICY (on | off; off runs without policy enforcement, loudly).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TezosToolkit } from "@taquito/taquito";
import type { Passkey } from "../services/policy/src/schema.js";
import { SignerClient } from "../services/signer/src/client.js";
import { bootstrapSeed } from "../tezos/sandbox/index.js";
import { SoftwareEd25519Signer, TaquitoSignerAdapter } from "../tezos/src/index.js";
import { PortBusyError, assertPortFree, startChild, type RunningChild } from "./main-job/processes.js";
import {
  bootstrapDevPolicy as activateDevPolicy,
  DEV_APPROVER_IDS,
  devPolicyEnv,
  devPolicyFromExample,
  ensureDevGenesis,
} from "../services/api/src/policy/dev-bootstrap.js";
import { READY_PREFIX, writeAtomically, writeJson } from "./main-job/state-file.js";
import { DevPasskey } from "./main-job/dev-passkeys.js";
import { ensureRegistered, type ConsoleSite } from "./main-job/console-client.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DEFAULT_DEV_PASSPHRASE = "coldpath-dev-only-passphrase-do-not-use-for-value";

/** Where everything listens and keeps its state. */
export interface MainJobLayout {
  readonly home: string;
  readonly host: string;
  readonly ports: { api: number; signer: number; evm: number; tezos: number };
  /** Whether the dev policy is bootstrapped (on) or enforcement is switched off (off). */
  readonly devPolicy: "on" | "off";
}

/** What `scripts/demo.ts` and people need to reach the running job (`<home>/endpoints.json`). */
export interface Endpoints {
  readonly apiUrl: string;
  readonly docsUrl: string;
  readonly signerUrl: string;
  readonly evmRpcUrl: string;
  readonly tezosRpcUrl: string;
  readonly evm: Record<string, string>;
  readonly tezos: { bakers: string[] };
  readonly adminKeyFile: string;
  readonly operatorKeyFile: string;
  /** The approver console: its page and the WebAuthn relying party its passkeys belong to. */
  readonly console: { readonly url: string; readonly origin: string; readonly rpId: string };
  /** DEV ONLY approvers and where their keys and software passkeys are; null with COLDPATH_DEV_POLICY=off. */
  readonly devPolicy: { readonly dir: string; readonly approvers: readonly string[] } | null;
}

/** Context handed to {@link bootstrapDevPolicy}. */
export interface DevPolicyContext {
  readonly endpoints: Endpoints;
  readonly adminKey: string;
  readonly operatorKey: string;
  readonly home: string;
  readonly log: (text: string) => void;
}

/**
 * API settings of the opt-out (`COLDPATH_DEV_POLICY=off`): the policy engine refuses every intent
 * while no quorum-activated policy is in force, so without the dev policy the API runs with the
 * engine's development escape hatch and logs a loud warning.
 */
export const DEV_POLICY_API_ENV: Readonly<Record<string, string>> = Object.freeze({
  POLICY_ENFORCEMENT: "off",
});

/** The signer's side of the same opt-out: it checks the policy quorum itself, and would hold none. */
export const DEV_POLICY_SIGNER_ENV: Readonly<Record<string, string>> = Object.freeze({
  SIGNER_POLICY_ENFORCEMENT: "off",
});

/**
 * Bootstraps the dev policy (idempotently: a second start finds everything in place). The DEV
 * ONLY officers of the dev genesis each get a software passkey, registered through the API's
 * enrolment and the console's WebAuthn registration like a person's; then the example policy,
 * listing those passkeys as its only approvers, is proposed and activated by the genesis quorum.
 *
 * @throws {Error} when the API refuses a registration, the proposal or the activation.
 */
export async function bootstrapDevPolicy(ctx: DevPolicyContext): Promise<void> {
  const devPolicy = ctx.endpoints.devPolicy;
  if (devPolicy === null) {
    ctx.log(
      "WARNING: COLDPATH_DEV_POLICY=off: no dev policy is bootstrapped and the API and the signer run with policy enforcement OFF (development only)",
    );
    return;
  }
  const dev = ensureDevGenesis(devPolicy.dir);
  const site: ConsoleSite = { apiUrl: ctx.endpoints.apiUrl, ...ctx.endpoints.console };
  const passkeys = new Map<string, Passkey>();
  for (const id of devPolicy.approvers) {
    const passkey = DevPasskey.load(devPolicy.dir, id);
    if (await ensureRegistered(site, ctx.adminKey, passkey)) {
      ctx.log(
        `DEV ONLY: registered the software passkey of ${id} through the console (${passkey.credentialId})`,
      );
    }
    passkeys.set(id, passkey.passkey());
  }
  await activateDevPolicy({
    apiUrl: ctx.endpoints.apiUrl,
    adminKey: ctx.adminKey,
    dev,
    policy: devPolicyFromExample({
      ...(ctx.endpoints.evm["chief"] !== undefined ? { chief: ctx.endpoints.evm["chief"] } : {}),
      bakers: ctx.endpoints.tezos.bakers,
      consoleOrigin: ctx.endpoints.console.origin,
      approvers: { dev, passkeys },
    }),
    log: ctx.log,
  });
}

/** `COLDPATH_DEV_POLICY`: on (the default) or off. @throws {Error} naming the variable. */
function devPolicySetting(env: NodeJS.ProcessEnv): "on" | "off" {
  const raw = env["COLDPATH_DEV_POLICY"];
  if (raw === undefined || raw === "" || raw === "on") return "on";
  if (raw === "off") return "off";
  throw new Error(`COLDPATH_DEV_POLICY must be on or off, got ${JSON.stringify(raw)}`);
}

/** The policy settings of the children: the dev genesis, or the opt-out's enforcement off. */
function devPolicyChildEnv(layout: MainJobLayout): {
  api: Record<string, string>;
  signer: Record<string, string>;
} {
  if (layout.devPolicy === "off")
    return { api: { ...DEV_POLICY_API_ENV }, signer: { ...DEV_POLICY_SIGNER_ENV } };
  return devPolicyEnv(ensureDevGenesis(path.join(layout.home, "dev-policy")));
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(`${name} must be an integer from 1 to 65535, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** The layout from the environment. @throws {Error} naming a bad port or COLDPATH_DEV_POLICY. */
export function layoutFromEnv(env: NodeJS.ProcessEnv): MainJobLayout {
  return {
    home: path.resolve(env["COLDPATH_HOME"] || path.join(ROOT, ".coldpath")),
    host: env["HOST"] || "127.0.0.1",
    ports: {
      api: port(env, "PORT", 3000),
      signer: port(env, "SIGNER_PORT", 7001),
      evm: port(env, "EVM_PORT", 8545),
      tezos: port(env, "TEZOS_PORT", 8732),
    },
    devPolicy: devPolicySetting(env),
  };
}

/** The variables every child gets; nothing else leaks from the caller's environment. */
function baseEnv(): Record<string, string> {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ", "NODE_OPTIONS", "TSX_TSCONFIG_PATH"];
  return Object.fromEntries(
    keep.flatMap((k) => (process.env[k] !== undefined ? [[k, process.env[k]!]] : [])),
  );
}

/** Reads a secret file, or creates it with `make()` (mode 0600). */
function secretFile(file: string, make: () => string): string {
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const value = make();
  writeAtomically(file, value + "\n");
  return value;
}

async function rpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/**
 * Starts every part in order and answers the running children and the endpoints.
 *
 * @throws {PortBusyError} before anything starts, when a port is taken.
 */
export async function startAll(
  layout: MainJobLayout,
  log: (text: string) => void,
): Promise<{ children: RunningChild<unknown>[]; endpoints: Endpoints }> {
  const { home, host, ports } = layout;
  await assertPortFree(host, ports.api, "custody API", "PORT");
  await assertPortFree(host, ports.signer, "hot signer", "SIGNER_PORT");
  await assertPortFree(host, ports.evm, "EVM JSON-RPC", "EVM_PORT");
  await assertPortFree(host, ports.tezos, "Tezos RPC", "TEZOS_PORT");
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const logDir = path.join(home, "logs");
  const children: RunningChild<unknown>[] = [];
  const passphrase = process.env["COLDPATH_DEV_PASSPHRASE"] || DEFAULT_DEV_PASSPHRASE;
  if (passphrase === DEFAULT_DEV_PASSPHRASE) {
    log(
      "WARNING: the hot keys are sealed with the built-in DEVELOPMENT passphrase. Fine for this local demo; " +
        "never hold value with them. Set COLDPATH_DEV_PASSPHRASE to use your own.",
    );
  }
  const readyLine = (text: string) =>
    text.startsWith(READY_PREFIX)
      ? (JSON.parse(text.slice(READY_PREFIX.length)) as Record<string, unknown>)
      : undefined;
  try {
    log(`starting the EVM dev chain on ${host}:${ports.evm} ...`);
    const evm = await startChild({
      name: "evm",
      script: path.join(ROOT, "scripts/main-job/evm-node.ts"),
      cwd: ROOT,
      env: {
        ...baseEnv(),
        EVM_PORT: String(ports.evm),
        EVM_HOST: host,
        EVM_STATE_DIR: path.join(home, "evm"),
      },
      logDir,
      ready: { line: readyLine },
    });
    children.push(evm);
    const deployment = evm.info.deployment as Record<string, string>;

    log(`starting the Tezos sandbox on ${host}:${ports.tezos} ...`);
    const tezos = await startChild({
      name: "tezos",
      script: path.join(ROOT, "scripts/main-job/tezos-node.ts"),
      cwd: ROOT,
      env: {
        ...baseEnv(),
        TEZOS_PORT: String(ports.tezos),
        TEZOS_HOST: host,
        TEZOS_STATE_DIR: path.join(home, "tezos"),
      },
      logDir,
      ready: { line: readyLine },
    });
    children.push(tezos);
    const bakers = (tezos.info.accounts as { address: string; isDelegate: boolean }[])
      .filter((a) => a.isDelegate)
      .map((a) => a.address);
    const evmRpcUrl = String(evm.info.url);
    const tezosRpcUrl = String(tezos.info.url);

    log(`starting the hot signer on ${host}:${ports.signer} ...`);
    const signerToken = secretFile(path.join(home, "signer-token"), () => randomBytes(32).toString("hex"));
    const signerUrl = `http://${host}:${ports.signer}`;
    const signer = await startChild({
      name: "signer",
      script: path.join(ROOT, "services/signer/src/main.ts"),
      cwd: ROOT,
      env: {
        ...baseEnv(),
        SIGNER_HOST: host,
        SIGNER_PORT: String(ports.signer),
        SIGNER_API_TOKEN: signerToken,
        SIGNER_DATA_DIR: path.join(home, "signer"),
        SIGNER_BACKEND: "sealed",
        SIGNER_SEALED_PASSPHRASE: passphrase,
        SIGNER_EVM_CHAIN_ID: deployment.chainId!,
        SIGNER_EVM_FACTORIES: `${deployment.factory}:${deployment.implementation}`,
        SIGNER_EVM_RPC_URL: evmRpcUrl,
        SIGNER_TEZOS_BAKERS: bakers.join(","),
        ...devPolicyChildEnv(layout).signer,
      },
      logDir,
      ready: { url: `${signerUrl}/health`, headers: { authorization: `Bearer ${signerToken}` } },
    });
    children.push(signer);

    // The hot keys pay fees: fund them from the dev chains' (public, test-only) bootstrap accounts.
    const client = new SignerClient({ url: signerUrl, token: signerToken });
    const evmHot = (await client.key("evm-hot")).address;
    const tezosHot = (await client.key("tezos-hot")).address;
    if (BigInt(await rpc<string>(evmRpcUrl, "eth_getBalance", [evmHot, "latest"])) < 10n ** 18n) {
      const hash = await rpc<string>(evmRpcUrl, "eth_sendTransaction", [
        { from: deployment.deployer, to: evmHot, value: "0x" + (100n * 10n ** 18n).toString(16) },
      ]);
      log(`funded the EVM hot key ${evmHot} with 100 ETH (${hash})`);
    }
    const toolkit = new TezosToolkit(tezosRpcUrl);
    if ((await toolkit.tz.getBalance(tezosHot)).lt(1_000_000)) {
      toolkit.setSignerProvider(new TaquitoSignerAdapter(new SoftwareEd25519Signer(bootstrapSeed(5))));
      const op = await toolkit.contract.transfer({ to: tezosHot, amount: 100 });
      await op.confirmation(1);
      log(`funded the Tezos hot key ${tezosHot} with 100 tez (${op.hash})`);
    }

    log(`starting the custody API on ${host}:${ports.api} ...`);
    const apiHome = path.join(home, "api");
    const adminKeyFile = path.join(home, "api-key");
    const operatorKeyFile = path.join(home, "operator-key");
    // Keys belong to a database: a fresh database must not meet keys of a deleted one.
    if (!existsSync(apiHome)) {
      rmSync(adminKeyFile, { force: true });
      rmSync(operatorKeyFile, { force: true });
    }
    const apiUrl = `http://${host}:${ports.api}`;
    // Browsers refuse an IP address as a WebAuthn relying party: the console is on localhost.
    const consoleOrigin = `http://localhost:${ports.api}`;
    const api = await startChild({
      name: "api",
      script: path.join(ROOT, "services/api/src/main.ts"),
      cwd: ROOT,
      env: {
        ...baseEnv(),
        TSX_TSCONFIG_PATH: path.join(ROOT, "services/tsconfig.json"),
        HOST: host,
        PORT: String(ports.api),
        DATA_DIR: apiHome,
        SIGNER_URL: signerUrl,
        SIGNER_TOKEN: signerToken,
        EVM_RPC_URL: evmRpcUrl,
        TEZOS_RPC_URL: tezosRpcUrl,
        BOOTSTRAP_ADMIN_KEY_FILE: adminKeyFile,
        EVM_CHAIN_ID: deployment.chainId!,
        EVM_FACTORY: deployment.factory!,
        EVM_IMPLEMENTATION: deployment.implementation!,
        EVM_CHIEF: deployment.chief!,
        EVM_GOV: deployment.gov!,
        TEZOS_STAKING: "on",
        ...devPolicyChildEnv(layout).api,
        WEBAUTHN_RP_ID: "localhost",
        WEBAUTHN_ORIGINS: consoleOrigin,
        INDEXER_POLL_MS: "500",
        INDEXER_EVM_CONFIRMATIONS: "2",
        INDEXER_TEZOS_CONFIRMATIONS: "1",
      },
      logDir,
      ready: { url: `${apiUrl}/health` },
    });
    children.push(api);

    const adminKey = readFileSync(adminKeyFile, "utf8").trim();
    const operatorKey = existsSync(operatorKeyFile)
      ? readFileSync(operatorKeyFile, "utf8").trim()
      : await createOperatorKey(apiUrl, adminKey, operatorKeyFile);
    const endpoints: Endpoints = {
      apiUrl,
      docsUrl: `${apiUrl}/docs`,
      signerUrl,
      evmRpcUrl,
      tezosRpcUrl,
      evm: deployment,
      tezos: { bakers },
      adminKeyFile,
      operatorKeyFile,
      console: { url: `${consoleOrigin}/console`, origin: consoleOrigin, rpId: "localhost" },
      devPolicy:
        layout.devPolicy === "on"
          ? { dir: path.join(home, "dev-policy"), approvers: [...DEV_APPROVER_IDS] }
          : null,
    };
    writeJson(path.join(home, "endpoints.json"), endpoints);
    await bootstrapDevPolicy({ endpoints, adminKey, operatorKey, home, log });
    return { children, endpoints };
  } catch (error) {
    await stopAll(children);
    throw error;
  }
}

async function createOperatorKey(apiUrl: string, adminKey: string, file: string): Promise<string> {
  const res = await fetch(`${apiUrl}/v1/api-keys`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${adminKey}`,
      "content-type": "application/json",
      "idempotency-key": `start-all-operator-${randomBytes(8).toString("hex")}`,
    },
    body: JSON.stringify({ name: "dev operator (start-all)", role: "operator" }),
  });
  const body = (await res.json()) as { token?: string };
  if (res.status !== 201 || !body.token)
    throw new Error(`could not create the operator key: ${res.status} ${JSON.stringify(body)}`);
  writeFileSync(file, body.token + "\n", { mode: 0o600, flag: "wx" });
  return body.token;
}

/** Stops children newest first (the API before the signer before the chains). */
export async function stopAll(children: readonly RunningChild<unknown>[]): Promise<void> {
  for (const child of [...children].reverse()) await child.stop();
}

async function main(): Promise<void> {
  const log = (text: string) => process.stdout.write(text + "\n");
  let layout: MainJobLayout;
  try {
    layout = layoutFromEnv(process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  let started;
  try {
    started = await startAll(layout, log);
  } catch (error) {
    process.stderr.write(`\ncould not start Coldpath: ${(error as Error).message}\n`);
    process.exit(error instanceof PortBusyError ? 2 : 1);
  }
  const { children, endpoints } = started;
  const rel = (p: string) => {
    const r = path.relative(process.cwd(), p);
    return r === "" || r.startsWith("..") ? p : r;
  };
  log(
    [
      "",
      `Coldpath is running (state in ${rel(layout.home)}/, logs in ${rel(path.join(layout.home, "logs"))}/):`,
      `  custody API     ${endpoints.apiUrl}   OpenAPI: ${endpoints.docsUrl}`,
      `  hot signer      ${endpoints.signerUrl}`,
      `  EVM JSON-RPC    ${endpoints.evmRpcUrl}   chain ${endpoints.evm["chainId"]}, factory ${endpoints.evm["factory"]}, chief ${endpoints.evm["chief"]}`,
      `  Tezos RPC       ${endpoints.tezosRpcUrl}   bakers ${endpoints.tezos.bakers.join(", ")}`,
      `  admin API key   ${rel(endpoints.adminKeyFile)}   operator API key ${rel(endpoints.operatorKeyFile)}`,
      `  approver console ${endpoints.console.url}`,
      endpoints.devPolicy !== null
        ? `  policy          enforced; DEV ONLY approvers ${endpoints.devPolicy.approvers.join(", ")} (software passkeys in ${rel(endpoints.devPolicy.dir)}/)`
        : "  policy          NOT ENFORCED (COLDPATH_DEV_POLICY=off)",
      `  processes       ${children.map((c) => `${c.name} pid ${c.process.pid}`).join(", ")}`,
      "",
      "Walk a customer through it:  npm run demo      Stop everything:  Ctrl-C",
    ].join("\n"),
  );
  let stopping = false;
  const shutdown = async (why: string, code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`\n${why}: stopping ...`);
    await stopAll(children);
    log("stopped.");
    process.exit(code);
  };
  process.once("SIGINT", () => void shutdown("SIGINT", 0));
  process.once("SIGTERM", () => void shutdown("SIGTERM", 0));
  for (const child of children) {
    child.process.once("exit", (code, signal) => {
      if (stopping) return;
      process.stderr.write(
        `\n${child.name} exited unexpectedly (${code ?? signal}); its last output:\n${child.tail()}\n`,
      );
      void shutdown(`${child.name} died`, 1);
    });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();

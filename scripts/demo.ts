/**
 * `npm run demo`: drives one new customer through the custody service started by `npm start`,
 * over its HTTP API only: governance on Ethereum (originate the vote proxy, lock, vote, free) and
 * staking on Tezos (originate the delegation contract, delegate to a baker). Prints each step with
 * the operation id and status, then the final state read from the chains themselves (JSON-RPC
 * and Tezos RPC), not from the service's database.
 *
 * The one thing not done through the service is the customer's deposit: on this dev chain the
 * deployer mints governance tokens straight to the proxy's address, standing in for the plain
 * transfer the customer's cold storage would make. The service never touches cold keys.
 *
 * Policy is enforced. Routine actions under the example policy (votes for allowlisted spells,
 * delegation to an allowlisted baker, lock/free within limits during desk hours) are approved
 * automatically, and the demo says so. Whatever waits in `pending_approval` (originations
 * always do) is shown as the approver console shows it, the decoded summary and the digest the
 * passkeys sign, then approved by two DEV ONLY approvers through the console's own HTTP
 * endpoints: passkey sign-in (session cookie + CSRF token), challenge, assertion, approve. The
 * demo never touches the database or the service's internals to approve.
 *
 * Reads COLDPATH_HOME/endpoints.json and the API keys `npm start` wrote there.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Interface, Wallet, formatUnits, getAddress, keccak256, parseUnits, solidityPacked } from "ethers";
import { SoftwareEd25519Signer } from "../tezos/src/index.js";
import type { Endpoints } from "./start-all.js";
import { DevPasskey } from "./main-job/dev-passkeys.js";
import { ConsoleSession, type ConsoleSite } from "./main-job/console-client.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const home = path.resolve(process.env["COLDPATH_HOME"] || path.join(ROOT, ".coldpath"));
const TIMEOUT_MS = Number(process.env["DEMO_TIMEOUT_MS"] ?? 60_000);

/** A step of the demo failed: what was asked and what came back. */
class DemoError extends Error {
  readonly code = "demo_failed";
}

let endpoints: Endpoints;
try {
  endpoints = JSON.parse(readFileSync(path.join(home, "endpoints.json"), "utf8")) as Endpoints;
} catch {
  process.stderr.write(
    `no running Coldpath found in ${home}: start it first with \`npm start\` (in another terminal)\n`,
  );
  process.exit(2);
}
if (endpoints.console === undefined) {
  process.stderr.write(`${home}/endpoints.json was written by an older \`npm start\`: restart it first\n`);
  process.exit(2);
}
const adminKey = readFileSync(endpoints.adminKeyFile, "utf8").trim();
const operatorKey = readFileSync(endpoints.operatorKeyFile, "utf8").trim();
const run = randomBytes(4).toString("hex");
let posts = 0;

const say = (text: string) => process.stdout.write(text + "\n");
const step = (n: number, text: string) => say(`\n${n}. ${text}`);

async function api<T>(method: "GET" | "POST", route: string, key: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(endpoints.apiUrl + route, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(method === "POST" ? { "idempotency-key": `demo-${run}-${++posts}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new DemoError(
      `cannot reach the API at ${endpoints.apiUrl} (${(error as Error).message}); is \`npm start\` running?`,
    );
  }
  const text = await res.text();
  if (res.status >= 300) throw new DemoError(`${method} ${route} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

interface Operation {
  id: string;
  kind: string;
  action?: string;
  status: string;
  txHash: string | null;
  failureReason: string | null;
}

/** Queues an operation and follows it until it is confirmed (or fails, which ends the demo). */
async function operate(route: string, body?: unknown): Promise<Operation> {
  const queued = await api<{ operationId: string; status: string }>("POST", route, operatorKey, body ?? {});
  return follow(queued.operationId);
}

/** Operations people approved in this run, and the ones the policy let through as routine. */
const approved: { operationId: string; kind: string; approvedBy: string[]; digest: string }[] = [];
const routine: { operationId: string; kind: string }[] = [];

let sessions: ConsoleSession[] | undefined;
/** Signs every DEV ONLY approver in to the console with their software passkey (once per run). */
async function approverSessions(): Promise<ConsoleSession[]> {
  if (sessions !== undefined) return sessions;
  const dev = endpoints.devPolicy;
  if (dev === null || endpoints.console === undefined)
    throw new DemoError(
      "an operation awaits approval but this Coldpath has no dev approvers (restart `npm start`)",
    );
  const site: ConsoleSite = { apiUrl: endpoints.apiUrl, ...endpoints.console };
  sessions = [];
  for (const id of dev.approvers)
    sessions.push(await ConsoleSession.signIn(site, DevPasskey.load(dev.dir, id)));
  say(
    `   signed in to the approver console as ${sessions.map((s) => s.approverId).join(", ")} (DEV ONLY software passkeys)`,
  );
  return sessions;
}

/**
 * What an approver does in the console: read the decoded summary and the digest, then approve
 * with the passkey; two different approvers do it, as the policy requires.
 */
async function approve(op: Operation): Promise<void> {
  const people = await approverSessions();
  const shown = await people[0]!.detail("operation", op.id);
  say(`   the policy holds it for people (${shown.required}); the console shows:`);
  for (const line of shown.summary) say(`      ${line}`);
  say(`      Digest signed by the passkeys: ${shown.digest}`);
  const by: string[] = [];
  for (const person of people) {
    const view = await person.detail("operation", op.id);
    if (!view.canDecide) {
      say(`   ${person.approverId} may not approve: ${view.reasonCannotDecide}`);
      continue;
    }
    const answer = await person.approve("operation", op.id, shown.digest);
    by.push(answer.approverId);
    say(
      `   approved by ${answer.approverId} in the console (passkey assertion over the digest)` +
        (answer.thresholdReached ? `: ${shown.required} reached, now ${answer.operationStatus}` : ""),
    );
    if (answer.thresholdReached) break;
  }
  if (by.length < 2)
    throw new DemoError(`${op.kind} could not get two approvals (${by.join(", ") || "none"})`);
  approved.push({ operationId: op.id, kind: op.kind, approvedBy: by, digest: shown.digest });
}

async function evm<T>(method: string, params: unknown[]): Promise<T> {
  const res = await fetch(endpoints.evmRpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const out = (await res.json()) as { result?: T; error?: { message: string } };
  if (out.error) throw new DemoError(`${method}: ${out.error.message}`);
  return out.result as T;
}

const abi = new Interface([
  "function balanceOf(address) view returns (uint256)",
  "function mint(address guy, uint256 wad)",
  "function deposits(address) view returns (uint256)",
  "function votes(address) view returns (bytes32)",
  "function slates(bytes32, uint256) view returns (address)",
  "function approvals(address) view returns (uint256)",
  "function isProxy(address) view returns (bool)",
]);
async function read(to: string, fn: string, args: unknown[]): Promise<unknown> {
  const out = await evm<string>("eth_call", [{ to, data: abi.encodeFunctionData(fn, args) }, "latest"]);
  return abi.decodeFunctionResult(fn, out)[0];
}
async function tezos<T>(route: string): Promise<T> {
  const res = await fetch(endpoints.tezosRpcUrl + route);
  if (res.status !== 200) throw new DemoError(`Tezos RPC ${route} answered ${res.status}`);
  return (await res.json()) as T;
}

/**
 * Two candidates for the vote: spells the active policy's automatic vote rule allowlists (a
 * routine vote), or random addresses when there is none (the vote then waits for approvers).
 */
async function votingCandidates(): Promise<string[]> {
  const random = () => getAddress("0x" + randomBytes(20).toString("hex"));
  if (endpoints.devPolicy === null) return [random(), random()];
  const active = await api<{
    document: {
      rules: {
        match: { actions?: string[] };
        outcome: { type: string };
        conditions?: { allowlists?: { candidates?: string[] } };
      }[];
    };
  }>("GET", "/v1/policies/active", adminKey);
  const rule = active.document.rules.find(
    (r) =>
      r.match.actions?.includes("vote") === true &&
      r.outcome.type === "allow" &&
      (r.conditions?.allowlists?.candidates?.length ?? 0) >= 2,
  );
  return rule
    ? rule.conditions!.allowlists!.candidates!.slice(0, 2).map((c) => getAddress(c))
    : [random(), random()];
}

async function main(): Promise<Record<string, unknown>> {
  const [gov, chief, factory, deployer] = ["gov", "chief", "factory", "deployer"].map((k) => {
    const v = endpoints.evm[k];
    if (v === undefined) throw new DemoError(`endpoints.json lacks evm.${k}; restart \`npm start\``);
    return v;
  }) as [string, string, string, string];
  const mkr = (wad: bigint) => `${formatUnits(wad, 18)} MKR`;
  // Demo cold keys: in production they are born in the offline ceremony and never come online.
  const evmCold = Wallet.createRandom().address;
  const tezosCold = await SoftwareEd25519Signer.generate().publicKeyHash();
  const baker = endpoints.tezos.bakers[0]!;
  const candidates = (await votingCandidates()).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  say(
    endpoints.devPolicy === null
      ? "Policy enforcement is OFF in this Coldpath (COLDPATH_DEV_POLICY=off): nothing waits for approvals."
      : `Policy enforcement is on; DEV ONLY approvers: ${endpoints.devPolicy.approvers.join(", ")}; console ${endpoints.console.url}`,
  );

  step(1, "Create the customer with its cold addresses (admin key)");
  const customer = await api<{ id: string }>("POST", "/v1/customers", adminKey, {
    name: `Demo customer ${run}`,
    evmColdAddress: evmCold,
    tezosColdAddress: tezosCold,
  });
  say(`   customer ${customer.id}: EVM cold ${evmCold}, Tezos cold ${tezosCold}`);
  const gv = `/v1/customers/${customer.id}/governance`;
  const st = `/v1/customers/${customer.id}/staking`;

  step(2, "Ethereum: originate the customer's vote proxy (answered at once with its address)");
  const originated = await api<{ operationId: string; proxyAddress: string }>(
    "POST",
    `${gv}/proxy`,
    operatorKey,
    {},
  );
  const proxy = originated.proxyAddress;
  say(`   predicted proxy address ${proxy}`);
  await follow(originated.operationId);

  step(3, "The customer deposits 100 MKR into the proxy (dev chain: minted straight to it)");
  const wad = parseUnits("100", 18);
  await evm("eth_sendTransaction", [
    { from: deployer, to: gov, data: abi.encodeFunctionData("mint", [proxy, wad]) },
  ]);
  say(`   proxy holds ${mkr((await read(gov, "balanceOf", [proxy])) as bigint)}`);

  step(4, "Ethereum: lock 100 MKR in the chief (hot key, through the signer)");
  await operate(`${gv}/lock`, { wad: wad.toString() });

  step(5, `Ethereum: vote for candidates ${candidates.join(", ")} (spells the policy allowlists, if any)`);
  await operate(`${gv}/vote`, { candidates });

  step(6, "Ethereum: free 40 MKR (they go to the customer's cold address, nowhere else)");
  await operate(`${gv}/free`, { wad: parseUnits("40", 18).toString() });

  step(7, "Tezos: originate the customer's delegation contract");
  await operate(`${st}/contract`, {});
  const { contractAddress } = await api<{ contractAddress: string }>("GET", st, operatorKey);
  say(`   delegation contract ${contractAddress}`);

  step(8, `Tezos: delegate to baker ${baker}`);
  await operate(`${st}/delegate`, { baker });

  // Final state, read from the chains (not from the service).
  const slate = (await read(chief, "votes", [proxy])) as string;
  const members: string[] = [];
  for (let i = 0; i < 5; i++) {
    try {
      members.push(getAddress((await read(chief, "slates", [slate, i])) as string));
    } catch {
      break;
    }
  }
  const delegate = await tezos<string | null>(
    `/chains/main/blocks/head/context/contracts/${contractAddress}/delegate`,
  ).catch(() => null);
  const storage = await tezos<{ args: { string?: string; bytes?: string }[] }>(
    `/chains/main/blocks/head/context/contracts/${contractAddress}/storage`,
  );
  const finalState = {
    customerId: customer.id,
    ethereum: {
      proxy,
      isProxy: (await read(factory, "isProxy", [proxy])) as boolean,
      lockedInChief: ((await read(chief, "deposits", [proxy])) as bigint).toString(),
      heldByProxy: ((await read(gov, "balanceOf", [proxy])) as bigint).toString(),
      heldByCold: ((await read(gov, "balanceOf", [evmCold])) as bigint).toString(),
      slate,
      slateMatchesVote: slate === keccak256(solidityPacked(["address[]"], [candidates])),
      candidates: members,
    },
    tezos: {
      contract: contractAddress,
      delegate,
      balanceMutez: await tezos<string>(
        `/chains/main/blocks/head/context/contracts/${contractAddress}/balance`,
      ),
      storage: storage.args.map((a) => a.string ?? a.bytes ?? null),
    },
  };
  say("\nFinal on-chain state (read from the EVM JSON-RPC and the Tezos RPC):");
  say(
    `   proxy ${proxy}: ${mkr(BigInt(finalState.ethereum.lockedInChief))} locked in the chief, ${mkr(BigInt(finalState.ethereum.heldByProxy))} idle`,
  );
  say(`   cold ${evmCold} received ${mkr(BigInt(finalState.ethereum.heldByCold))}`);
  say(`   voting slate ${slate}: ${members.join(", ")}`);
  say(`   delegation contract ${contractAddress} delegates to ${delegate}`);

  // What the service indexed from the chains (its own view, for comparison).
  await new Promise((r) => setTimeout(r, 1200));
  const events = await api<{ events: { chain: string; name: string; txHash: string }[] }>(
    "GET",
    `/v1/customers/${customer.id}/events`,
    operatorKey,
  );
  say(
    `\nThe service's indexer saw ${events.events.length} events: ${events.events.map((e) => `${e.chain}:${e.name}`).join(", ")}`,
  );
  say(
    `\nApproved by people in the console: ${approved.map((a) => `${a.kind} (${a.approvedBy.join(" + ")})`).join(", ") || "nothing"}`,
  );
  say(
    `Routine under the policy, approved automatically: ${routine.map((r) => r.kind).join(", ") || "nothing"}`,
  );
  say(`API: ${endpoints.docsUrl}   approver console: ${endpoints.console.url}`);
  process.stdout.write(`DEMO_RESULT ${JSON.stringify({ ...finalState, approved, routine })}\n`);
  return finalState;
}

/**
 * Polls an operation until it is confirmed, approving it in the console when it waits for
 * people; a failure or a timeout ends the demo.
 */
async function follow(operationId: string): Promise<Operation> {
  let deadline = Date.now() + TIMEOUT_MS;
  let last = "";
  for (;;) {
    const op = await api<Operation>("GET", `/v1/operations/${operationId}`, operatorKey);
    if (op.status !== last) {
      say(`   operation ${op.id}: ${op.status}${op.txHash ? `  (${op.txHash})` : ""}`);
      if (last === "" && op.status !== "pending_approval" && endpoints.devPolicy !== null) {
        routine.push({ operationId: op.id, kind: op.kind });
        say("   routine under the example policy: approved automatically, no person needed");
      }
      last = op.status;
      if (op.status === "pending_approval") {
        await approve(op);
        deadline = Date.now() + TIMEOUT_MS;
        continue;
      }
    }
    if (op.status === "confirmed") return op;
    if (op.status === "failed") throw new DemoError(`${op.kind} failed: ${op.failureReason}`);
    if (Date.now() > deadline)
      throw new DemoError(`${op.kind} still ${op.status} after ${TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

try {
  const state = await main();
  const e = state["ethereum"] as Record<string, unknown>;
  const t = state["tezos"] as Record<string, unknown>;
  const ok =
    e["isProxy"] === true &&
    e["lockedInChief"] === parseUnits("60", 18).toString() &&
    e["heldByCold"] === parseUnits("40", 18).toString() &&
    e["slateMatchesVote"] === true &&
    t["delegate"] === endpoints.tezos.bakers[0];
  say(
    ok
      ? "\ndemo finished: the chains show exactly what was asked."
      : "\ndemo finished, but the chain state is not what was asked.",
  );
  process.exit(ok ? 0 : 1);
} catch (error) {
  process.stderr.write(`\ndemo failed: ${(error as Error).message}\n`);
  process.exit(1);
}

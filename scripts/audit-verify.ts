/**
 * `npm run audit:verify`: exports and verifies Coldpath's tamper-evident records, independently of
 * the running service (it reads the database read-only and never runs migrations).
 *
 *   audit:verify -- --database-url postgres://…   (or DATABASE_URL)   audit log from PostgreSQL
 *   audit:verify -- --pglite .data/pglite                             audit log from a PGlite dir
 *   audit:verify -- --file audit-export.json                          a previous export / API answer
 *   audit:verify -- … --export out.json                               also write the export
 *   audit:verify -- … --expect-head <hash> [--expect-rows N]          detect a truncated tail
 *   audit:verify -- --policies history.json [--genesis genesis.json]  policy history with its quorum
 *
 * Prints one JSON verdict; exit 0 when everything verifies, 1 when something does not (the first
 * bad row or version is named), 2 on a usage error.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { verifyAuditChain, type AuditRow, type ChainVerdict } from "../services/db/src/audit-chain.js";
import type { JsonValue } from "../services/shared/src/canonical-json.js";
import { policyHash } from "../services/policy/src/canonical.js";
import { verifyPolicyActivation } from "../services/policy/src/quorum.js";
import type { ActivationAuthority, GenesisQuorum, PolicySignature } from "../services/policy/src/quorum.js";
import { validatePolicy } from "../services/policy/src/validate.js";

/** The audit export format (also what `GET /v1/audit/export` answers). */
export interface AuditExport {
  readonly format: "coldpath-audit-export/1";
  readonly exportedAt: string;
  readonly rows: readonly {
    seq: number;
    at: string;
    actor: string;
    action: string;
    payload: JsonValue;
    prevHash: string;
    hash: string;
  }[];
}

/** A usage or input problem (exit 2). */
export class AuditVerifyUsageError extends Error {
  readonly code = "AUDIT_VERIFY_USAGE";
}

interface RawRow {
  seq: number | string | bigint;
  at: Date | string;
  actor: string;
  action: string;
  payload: JsonValue | string;
  prev_hash: string;
  hash: string;
}

function toRow(r: RawRow): AuditRow {
  return {
    seq: Number(r.seq),
    at: r.at instanceof Date ? r.at : new Date(r.at),
    actor: r.actor,
    action: r.action,
    payload: typeof r.payload === "string" ? (JSON.parse(r.payload) as JsonValue) : r.payload,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

// Physical order is not trusted: rows are verified in the order of the seq the hashes commit to.
const SELECT = "select seq, at, actor, action, payload, prev_hash, hash from audit_log order by seq";

/** Reads the audit log from PostgreSQL, read-only. */
export async function rowsFromPostgres(url: string): Promise<AuditRow[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("begin transaction read only");
    const res = await client.query<RawRow>(SELECT);
    await client.query("rollback");
    return res.rows.map(toRow);
  } finally {
    await client.end();
  }
}

/** Reads the audit log from a PGlite data directory (no migrations are run). */
export async function rowsFromPglite(dataDir: string): Promise<AuditRow[]> {
  const db = new PGlite(dataDir);
  try {
    const res = await db.query<RawRow>(SELECT);
    return res.rows.map(toRow);
  } finally {
    await db.close();
  }
}

/**
 * Reads an export file (this tool's `--export` output or the API's `GET /v1/audit/export`).
 *
 * @throws {AuditVerifyUsageError} when the file is not an audit export.
 */
export function rowsFromExport(value: unknown): AuditRow[] {
  const rows = (value as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(rows)) throw new AuditVerifyUsageError("not an audit export: no rows array");
  return rows.map((r: Record<string, unknown>, i) => {
    if (typeof r?.seq !== "number" || typeof r.at !== "string" || typeof r.hash !== "string") {
      throw new AuditVerifyUsageError(`rows[${i}]: expected seq, at, actor, action, payload, prevHash, hash`);
    }
    return toRow({ ...(r as unknown as RawRow), prev_hash: String(r.prevHash) });
  });
}

/** The export document of `rows`. */
export function exportRows(rows: readonly AuditRow[], now = new Date()): AuditExport {
  return {
    format: "coldpath-audit-export/1",
    exportedAt: now.toISOString(),
    rows: rows.map((r) => ({
      seq: r.seq,
      at: r.at.toISOString(),
      actor: r.actor,
      action: r.action,
      payload: r.payload,
      prevHash: r.prevHash,
      hash: r.hash,
    })),
  };
}

/** The chain verdict, plus a check against a head recorded elsewhere (a truncated tail). */
export type AuditVerdict =
  | ChainVerdict
  | {
      readonly ok: false;
      readonly rows: number;
      readonly reason: "head_mismatch";
      readonly message: string;
      readonly firstBadSeq: number;
    };

/**
 * Verifies the hash chain and, when given, that it ends at `expect.head` after `expect.rows` rows
 * (deleting the newest rows leaves a valid shorter chain: only an externally kept head shows it).
 */
export function verifyAudit(
  rows: readonly AuditRow[],
  expect: { head?: string; rows?: number } = {},
): AuditVerdict {
  const verdict = verifyAuditChain(rows);
  if (!verdict.ok) return verdict;
  if (
    (expect.rows !== undefined && verdict.rows < expect.rows) ||
    (expect.head !== undefined && verdict.headHash !== expect.head)
  ) {
    const at = rows.findIndex((r) => r.hash === expect.head);
    return {
      ok: false,
      rows: verdict.rows,
      reason: "head_mismatch",
      firstBadSeq: at === -1 ? verdict.rows + 1 : rows[at]!.seq + 1,
      message:
        at === -1
          ? `the chain ends at ${verdict.headHash} after ${verdict.rows} rows, not at the expected head: rows after seq ${verdict.rows} were deleted or the head is from another log`
          : `the expected head is row ${rows[at]!.seq}; ${verdict.rows - rows[at]!.seq} rows follow it`,
    };
  }
  return verdict;
}

/** Result of verifying a policy history export. */
export interface PolicyHistoryVerdict {
  readonly ok: boolean;
  readonly versions: number;
  readonly activeHash: string | null;
  readonly firstBadVersion?: number;
  readonly problems: readonly string[];
  readonly approvedBy: readonly {
    readonly version: number;
    readonly hash: string;
    readonly approvers: readonly string[];
  }[];
}

/**
 * Verifies a `coldpath-policy-history/1` export: every version of its `chain` is activated by
 * the quorum of the one before, back to `genesis` (which an auditor should pin from their own
 * records: the file's own `genesis` is used only when none is given, and the verdict says so).
 */
export function verifyPolicyHistory(
  history: unknown,
  genesis?: GenesisQuorum,
): PolicyHistoryVerdict & { readonly genesisFrom: "argument" | "file" } {
  const h = history as {
    format?: unknown;
    chain?: unknown;
    genesis?: GenesisQuorum | null;
    activeHash?: unknown;
  } | null;
  if (h?.format !== "coldpath-policy-history/1" || !Array.isArray(h.chain)) {
    throw new AuditVerifyUsageError("not a coldpath-policy-history/1 export");
  }
  const pinned = genesis ?? h.genesis ?? undefined;
  if (pinned === undefined) throw new AuditVerifyUsageError("no genesis quorum: pass --genesis genesis.json");
  const approvedBy: { version: number; hash: string; approvers: string[] }[] = [];
  let authority: ActivationAuthority = { genesis: pinned };
  let activeHash: string | null = null;
  const chain = h.chain as { policy: unknown; signatures: PolicySignature[]; hash?: string }[];
  for (const [i, entry] of chain.entries()) {
    let report;
    try {
      report = verifyPolicyActivation(entry.policy, entry.signatures ?? [], authority);
    } catch (error) {
      return {
        ok: false,
        versions: chain.length,
        activeHash,
        firstBadVersion: i + 1,
        problems: [`chain[${i}]: ${(error as Error).message}`],
        approvedBy,
        genesisFrom: genesis ? "argument" : "file",
      };
    }
    const problems = [...report.problems];
    if (entry.hash !== undefined && entry.hash !== report.policyHash)
      problems.push(`hash ${entry.hash} is not the document's hash ${report.policyHash}`);
    if (!report.activated || problems.length > 0) {
      return {
        ok: false,
        versions: chain.length,
        activeHash,
        firstBadVersion: report.version,
        problems: problems.map((p) => `version ${report.version}: ${p}`),
        approvedBy,
        genesisFrom: genesis ? "argument" : "file",
      };
    }
    approvedBy.push({ version: report.version, hash: report.policyHash, approvers: [...report.approvedBy] });
    const policy = validatePolicy(entry.policy);
    authority = { previous: policy };
    activeHash = policyHash(policy);
  }
  const problems: string[] = [];
  if (h.activeHash !== undefined && h.activeHash !== activeHash)
    problems.push(
      `the export claims active ${String(h.activeHash)}, the signatures prove ${String(activeHash)}`,
    );
  return {
    ok: problems.length === 0,
    versions: chain.length,
    activeHash,
    problems,
    approvedBy,
    genesisFrom: genesis ? "argument" : "file",
  };
}

function parseArgs(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (!flag.startsWith("--")) throw new AuditVerifyUsageError(`unexpected argument ${flag}`);
    const value = argv[i + 1];
    if (value === undefined || value.startsWith("--"))
      throw new AuditVerifyUsageError(`${flag} needs a value`);
    out.set(flag.slice(2), value);
    i++;
  }
  const known = new Set([
    "database-url",
    "pglite",
    "file",
    "export",
    "expect-head",
    "expect-rows",
    "policies",
    "genesis",
  ]);
  for (const k of out.keys()) if (!known.has(k)) throw new AuditVerifyUsageError(`unknown option --${k}`);
  return out;
}

/** Runs the tool; returns the exit code and the JSON it printed. */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ code: number; output: unknown }> {
  let args: Map<string, string>;
  try {
    args = parseArgs(argv);
    const result: Record<string, unknown> = {};
    let ok = true;
    if (args.has("policies")) {
      const history: unknown = JSON.parse(readFileSync(args.get("policies")!, "utf8"));
      const genesis = args.has("genesis")
        ? (JSON.parse(readFileSync(args.get("genesis")!, "utf8")) as GenesisQuorum)
        : undefined;
      const verdict = verifyPolicyHistory(history, genesis);
      result.policies = verdict;
      ok &&= verdict.ok;
    }
    const url =
      args.get("database-url") ??
      (args.has("pglite") || args.has("file") || args.has("policies") ? undefined : env.DATABASE_URL);
    let rows: AuditRow[] | undefined;
    if (args.has("file")) rows = rowsFromExport(JSON.parse(readFileSync(args.get("file")!, "utf8")));
    else if (args.has("pglite")) rows = await rowsFromPglite(args.get("pglite")!);
    else if (url !== undefined) rows = await rowsFromPostgres(url);
    if (rows === undefined && !args.has("policies")) {
      throw new AuditVerifyUsageError(
        "give --database-url (or DATABASE_URL), --pglite <dir>, --file <export.json> or --policies <history.json>",
      );
    }
    if (rows !== undefined) {
      const expectRows = args.has("expect-rows") ? Number(args.get("expect-rows")) : undefined;
      if (expectRows !== undefined && !Number.isSafeInteger(expectRows))
        throw new AuditVerifyUsageError("--expect-rows must be an integer");
      const verdict = verifyAudit(rows, {
        ...(args.has("expect-head") ? { head: args.get("expect-head")! } : {}),
        ...(expectRows !== undefined ? { rows: expectRows } : {}),
      });
      result.audit = verdict;
      ok &&= verdict.ok;
      if (args.has("export"))
        writeFileSync(args.get("export")!, JSON.stringify(exportRows(rows), null, 2) + "\n");
    }
    return { code: ok ? 0 : 1, output: { ok, ...result } };
  } catch (error) {
    const usage =
      error instanceof AuditVerifyUsageError ||
      error instanceof SyntaxError ||
      (error as { code?: string }).code === "ENOENT";
    return { code: usage ? 2 : 1, output: { ok: false, error: (error as Error).message } };
  }
}

/** What `--help` prints. */
export const USAGE = `Exports and verifies Coldpath's audit log hash chain and policy history (read-only).

  npm run audit:verify -- --database-url postgres://...   audit log from PostgreSQL (or DATABASE_URL)
  npm run audit:verify -- --pglite <dir>                   audit log from a PGlite data directory
  npm run audit:verify -- --file <export.json>             a previous export or GET /v1/audit/export answer
    ... --export <out.json>                                also write the export
    ... --expect-head <hash> [--expect-rows N]             detect a truncated tail (head recorded elsewhere)
  npm run audit:verify -- --policies <history.json> [--genesis <genesis.json>]
                                                           policy history with its quorum signatures

Prints one JSON verdict naming the first bad row or version. Exit 0: verified; 1: not; 2: usage.
`;

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const { code, output } = await main(process.argv.slice(2));
  process.stdout.write(JSON.stringify(output, null, 2) + "\n");
  process.exitCode = code;
}

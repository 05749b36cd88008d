/**
 * The database engines every persistence suite runs against: embedded PGlite and a throwaway
 * PostgreSQL cluster (skipped, with the reason printed, only when the binaries are absent).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { MIGRATIONS_FOLDER, openDatabase, type Database } from "../src/database.js";
import { postgresSkipReason, startPostgres } from "./postgres.js";

export interface EngineTarget {
  readonly name: "pglite" | "postgres";
  readonly skip: string | false;
  /** Opens a fresh, migrated database; `dispose` closes it and anything started for it. */
  open(): Promise<{ database: Database; dispose(): Promise<void> }>;
}

export const ENGINES: readonly EngineTarget[] = [
  {
    name: "pglite",
    skip: false,
    async open() {
      const database = await openMigratedPglite();
      return { database, dispose: () => database.close() };
    },
  },
  {
    name: "postgres",
    skip: postgresSkipReason(),
    async open() {
      const server = await startPostgres();
      try {
        const database = await openDatabase({ kind: "postgres", url: server.url });
        return {
          database,
          async dispose() {
            await database.close();
            await server.stop();
          },
        };
      } catch (error) {
        await server.stop();
        throw error;
      }
    },
  },
];

/**
 * A fresh in-memory PGlite with every migration applied. PGlite's own initdb costs seconds on
 * these machines, so the first caller caches a migrated image in the temp folder (keyed by the
 * migration files) and later test files start from it in about a second.
 */
export async function openMigratedPglite(): Promise<Database> {
  const digest = createHash("sha256");
  for (const file of readdirSync(MIGRATIONS_FOLDER, { recursive: true }).map(String).sort()) {
    const full = path.join(MIGRATIONS_FOLDER, file);
    if (file.endsWith(".sql") || file.endsWith(".json")) digest.update(file).update(readFileSync(full));
  }
  const image = path.join(tmpdir(), `coldpath-pglite-${digest.digest("hex").slice(0, 16)}.tar.gz`);
  if (existsSync(image)) {
    return openDatabase({
      kind: "pglite",
      dataDir: "memory://",
      loadDataDir: new Blob([readFileSync(image)]),
    });
  }
  const database = await openDatabase({ kind: "pglite", dataDir: "memory://" });
  const dump = await database.dump!();
  // Write then rename, so a parallel test file never reads half an image.
  const partial = `${image}.${process.pid}.partial`;
  writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
  renameSync(partial, image);
  return database;
}

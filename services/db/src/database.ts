import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import pg from "pg";
import { lockDataDir } from "./pglite-lock.js";
import { schema } from "./schema.js";

export type Schema = typeof schema;
/** The drizzle handle, the same type whether PGlite or PostgreSQL is underneath. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle; repositories accept either this or {@link Db}. */
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type Executor = Db | Tx;

/** Where the data lives: an embedded PGlite directory (or `memory://`) or a PostgreSQL URL. */
export type DatabaseTarget =
  | {
      kind: "pglite";
      dataDir: string;
      /** Starts an in-memory database from a `dumpDataDir()` image instead of an empty one. */
      loadDataDir?: Blob;
    }
  | { kind: "postgres"; url: string };

/** An open, migrated database and the means to close it. */
export interface Database {
  readonly db: Db;
  /** The PGlite data directory as a tarball (PGlite only; tests use it to skip initdb). */
  dump?(): Promise<Blob>;
  readonly kind: DatabaseTarget["kind"];
  /** Runs raw SQL outside drizzle (tests and maintenance only). */
  exec(sqlText: string): Promise<void>;
  close(): Promise<void>;
}

/** The one migration folder applied to both engines. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../migrations", import.meta.url));

/**
 * Opens the database named by `target` and applies every pending migration.
 *
 * @throws whatever the driver raises when the database cannot be reached or migrated.
 * @example const database = await openDatabase({ kind: "pglite", dataDir: "memory://" });
 */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === "pglite") {
    const inMemory = target.dataDir.startsWith("memory://");
    let release = (): void => {};
    if (!inMemory) {
      const dir = path.resolve(target.dataDir);
      mkdirSync(path.dirname(dir), { recursive: true });
      release = lockDataDir(`${dir}.lock`);
    }
    try {
      const client = target.loadDataDir
        ? new PGlite(target.dataDir, { loadDataDir: target.loadDataDir })
        : new PGlite(target.dataDir);
      const db = drizzlePglite(client, { schema });
      await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
      return {
        db: db as unknown as Db,
        kind: "pglite",
        exec: async (text) => {
          await client.exec(text);
        },
        dump: () => client.dumpDataDir("gzip"),
        close: async () => {
          try {
            await client.close();
          } finally {
            release();
          }
        },
      };
    } catch (error) {
      release();
      throw error;
    }
  }
  const pool = new pg.Pool({ connectionString: target.url, max: 10 });
  try {
    const db = drizzlePg(pool, { schema });
    await migratePg(db, { migrationsFolder: MIGRATIONS_FOLDER });
    return {
      db: db as unknown as Db,
      kind: "postgres",
      exec: async (text) => {
        await pool.query(text);
      },
      close: () => pool.end(),
    };
  } catch (error) {
    await pool.end();
    throw error;
  }
}

/**
 * Rows of a raw `db.execute(sql\`…\`)` result. Both drivers answer `{ rows }`, but the shared
 * drizzle type cannot say so.
 */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

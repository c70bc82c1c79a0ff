// Applies prisma/migrations/*/migration.sql without Prisma's native engine, recording each in a
// _prisma_migrations table shaped as Prisma's own, so `prisma migrate deploy` agrees with it later.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

/** The advisory-lock key `prisma migrate` uses, so our runner and Prisma's exclude each other. */
const MIGRATION_LOCK_KEY = 72707369;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function findMigrationsDir(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error('prisma/migrations not found above ' + from);
  }
}

export function readMigrations(dir = findMigrationsDir()): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * Migrates the database at `connectionString` over a connection of its own: the app's pool has a
 * 2 s query time-out meant for requests, which an index build or a wait for the lock would exceed.
 */
export async function migrateDatabase(connectionString: string): Promise<string[]> {
  const pool = new pg.Pool({ connectionString, max: 1, connectionTimeoutMillis: 5_000 });
  try {
    return await migrate(pool);
  } finally {
    await pool.end();
  }
}

/**
 * Applies pending migrations in order, each in its own transaction; returns the names applied. Every
 * transaction takes the advisory lock for itself (pg_advisory_xact_lock, released at COMMIT/ROLLBACK)
 * and reads what is applied under it, so nothing depends on a session: it runs as well through a
 * transaction-mode pooler (PgBouncer), where a session lock would land on one server connection and its
 * unlock on another.
 */
export async function migrate(pool: pg.Pool, migrations = readMigrations()): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  const locked = async <T>(work: () => Promise<T>): Promise<T> => {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const result = await work();
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  };
  const recorded = async () => {
    const { rows } = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
    );
    // Our runner records a migration only once it committed; an unfinished row is a failed
    // `prisma migrate deploy`, which Prisma itself refuses to go past (P3009). So do we.
    const failed = rows.find((row) => row.finished_at === null);
    if (failed) {
      throw new Error(`migration ${failed.migration_name} failed earlier: resolve it with \`prisma migrate resolve\` before starting`);
    }
    return new Map(rows.map((row) => [row.migration_name, row.checksum]));
  };
  try {
    const done = await locked(async () => {
      await client.query(CREATE_MIGRATIONS_TABLE);
      return recorded();
    });
    for (const migration of migrations) {
      const checksum = done.get(migration.name);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new Error(`migration ${migration.name} was edited after it was applied (checksum differs)`);
        }
        continue;
      }
      const ran = await locked(async () => {
        // Another instance may have applied it while we waited for the lock.
        if ((await recorded()).has(migration.name)) return false;
        try {
          await client.query(migration.sql);
        } catch (error) {
          throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
        }
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        return true;
      });
      if (ran) applied.push(migration.name);
    }
  } finally {
    client.release();
  }
  return applied;
}

// Which PostgreSQL and Redis the tests use: the real ones when global-setup found them, else embedded.
// Each test file gets a database of its own (cloned from a migrated template) and a Redis key prefix.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export const realPostgresUrl = (): string | undefined => process.env.PORTCULLIS_TEST_PG || undefined;
export const realRedisUrl = (): string | undefined => process.env.PORTCULLIS_TEST_REDIS || undefined;
/** The local Redis Cluster's nodes (`npm run cluster:up`), as REDIS_CLUSTER_NODES, when global-setup reached it. */
export const realRedisClusterNodes = (): string | undefined => process.env.PORTCULLIS_TEST_REDIS_CLUSTER || undefined;
export const templateDatabase = (): string => process.env.PORTCULLIS_TEST_TEMPLATE ?? '';

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export interface TestDatabase {
  /** Undefined in embedded mode: the app then runs PGlite under `dataDir`. */
  url: string | undefined;
  dataDir: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-test-'));
  const adminUrl = realPostgresUrl();
  if (!adminUrl) {
    return { url: undefined, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `portcullis_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}" TEMPLATE "${templateDatabase()}"`);
  return {
    url: withDatabase(adminUrl, name),
    dataDir,
    drop: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

export async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export const newRedisPrefix = (): string => `portcullis-test:${randomBytes(6).toString('hex')}:`;

/** Whether PostgreSQL at `url` accepts a connection and answers a query (within 2 s). */
export async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

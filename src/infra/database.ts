// PostgreSQL for the app: a pg pool behind Prisma's driver adapter, against DATABASE_URL or, when
// it is unset, an embedded PGlite served over the wire protocol (same driver, same SQL).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client';
import { ServiceUnavailableError } from '../errors';
import { trackConnectionFailures } from './database-errors';

// Together under SPEC's 2 s: a dead or frozen PostgreSQL answers SERVICE_UNAVAILABLE in time.
const CONNECT_TIMEOUT_MS = 1_000;
const QUERY_TIMEOUT_MS = 1_500;
const POOL_SIZE = 10;
/** PGlite is one session; its socket server allows the pool's connections plus one for migrations. */
const EMBEDDED_POOL_SIZE = 4;

export interface Database {
  readonly kind: 'postgres' | 'embedded';
  /** The connection string (the embedded server's local one in embedded mode). */
  readonly url: string;
  readonly prisma: PrismaClient;
  /** For migrations and health checks. */
  readonly pool: pg.Pool;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openDatabase(options: { url: string | undefined; dataDir: string }): Promise<Database> {
  if (options.url) return fromPool('postgres', options.url, POOL_SIZE, async () => {});
  const embedded = await startEmbedded(path.join(options.dataDir, 'pglite'));
  return fromPool('embedded', embedded.url, EMBEDDED_POOL_SIZE, embedded.stop);
}

function createPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    keepAlive: true,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  trackConnectionFailures(pool);
  return pool;
}

function fromPool(kind: Database['kind'], url: string, poolSize: number, stopEmbedded: () => Promise<void>): Database {
  const pool = createPool(url, poolSize);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: false }) });
  return {
    kind,
    url,
    prisma,
    pool,
    async ping() {
      try {
        await pool.query('SELECT 1');
      } catch (error) {
        throw new ServiceUnavailableError('postgres', error);
      }
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
      await stopEmbedded();
    },
  };
}

async function startEmbedded(dataDir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  mkdirSync(dataDir, { recursive: true });
  // Loaded only in embedded mode: production never pays for the WASM build.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: EMBEDDED_POOL_SIZE + 1 });
  await server.start();
  const url = `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  return {
    url,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

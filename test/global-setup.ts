// Finds the real PostgreSQL and Redis (TEST_DATABASE_URL, TEST_REDIS_URL, else the standard local
// ports), prints which backends the run uses, and prepares a migrated template database.
import { existsSync } from 'node:fs';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { migrate } from '../src/infra/migrate';
import { adminQuery, postgresAnswers, withDatabase } from './helpers/backends';

const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** Where `npm run cluster:up` (scripts/redis-cluster.sh) puts the local Redis Cluster. */
const DEFAULT_CLUSTER_NODES = '127.0.0.1:7100,127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103,127.0.0.1:7104,127.0.0.1:7105';

export default async function globalSetup(): Promise<void> {
  const databaseUrl = process.env.TEST_DATABASE_URL || DEFAULT_DATABASE_URL;
  const redisUrl = process.env.TEST_REDIS_URL || DEFAULT_REDIS_URL;
  const clusterNodes = process.env.TEST_REDIS_CLUSTER_NODES || DEFAULT_CLUSTER_NODES;
  const [postgresUp, redisUp, clusterUp] = await Promise.all([postgresAnswers(databaseUrl), redisAnswers(redisUrl), clusterAnswers(clusterNodes)]);

  if (process.env.CI === 'true' && (!postgresUp || !redisUp || !clusterUp)) {
    const missing = [
      !postgresUp && `PostgreSQL at ${redact(databaseUrl)}`,
      !redisUp && `Redis at ${redisUrl}`,
      !clusterUp && `a Redis Cluster at ${clusterNodes} (npm run cluster:up)`,
    ].filter(Boolean);
    throw new Error(`CI=true requires the real backends, but these do not answer: ${missing.join(', ')}`);
  }

  if (postgresUp) {
    const template = `portcullis_tpl_${process.pid}`;
    await adminQuery(databaseUrl, `DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    await adminQuery(databaseUrl, `CREATE DATABASE "${template}"`);
    const pool = new pg.Pool({ connectionString: withDatabase(databaseUrl, template), max: 1 });
    try {
      await migrate(pool);
    } finally {
      await pool.end();
    }
    process.env.PORTCULLIS_TEST_TEMPLATE = template;
  }
  process.env.PORTCULLIS_TEST_ADMIN_PG = postgresUp ? databaseUrl : '';
  process.env.PORTCULLIS_TEST_PG = postgresUp ? databaseUrl : '';
  process.env.PORTCULLIS_TEST_REDIS = redisUp ? redisUrl : '';
  process.env.PORTCULLIS_TEST_REDIS_CLUSTER = clusterUp ? clusterNodes : '';

  console.log(
    `\nPortcullis tests — PostgreSQL: ${postgresUp ? `real (${redact(databaseUrl)})` : 'embedded PGlite'}; ` +
      `Redis: ${redisUp ? `real (${redisUrl})` : 'in-process session store'}; ` +
      `Redis Cluster: ${clusterUp ? `real (${clusterNodes})` : 'not running, its tests skip (npm run cluster:up)'}; ` +
      `Chromium: ${chromiumFound() ? 'found' : 'not found, the browser tests are left out (apt-get install chromium; CI requires it)'}\n`,
  );
}

/** The same rule as jest.config.js: outside CI, no Chromium leaves the browser tests out. */
function chromiumFound(): boolean {
  return existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium');
}

async function redisAnswers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined); // an absent Redis is an answer here, not an error
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

async function clusterAnswers(nodes: string): Promise<boolean> {
  const cluster = new Cluster(
    nodes.split(',').map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })),
    { lazyConnect: true, clusterRetryStrategy: () => null, redisOptions: { connectTimeout: 2_000, maxRetriesPerRequest: 0 } },
  );
  cluster.on('error', () => undefined);
  try {
    await cluster.connect();
    return /cluster_state:ok/.test(await cluster.cluster('INFO'));
  } catch {
    return false;
  } finally {
    cluster.disconnect();
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

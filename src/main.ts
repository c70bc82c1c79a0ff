// Process entry: loadConfig → stores → migrations → createApp → listen; graceful shutdown on signals.
// First, before any dependency loads: an unsupported Node.js stops here with one line.
import './infra/node-version';
// Tracing first: its instrumentations must hook http, express, graphql, ioredis and pg before they load.
import { stopTracing } from './observability/tracing';
import 'reflect-metadata';
import dotenv from 'dotenv';
import { createApp } from './app';
import { createRateLimits, type RateLimits } from './auth/rate-limit';
import { ConfigError, loadConfig, type Config, type TokenKeys } from './config/config';
import { openDatabase } from './infra/database';
import { loadOrCreateDevKeys } from './infra/dev-keys';
import { createLogger } from './infra/logger';
import { migrateDatabase } from './infra/migrate';
import { openRedis, waitForRedis, type RedisClient } from './infra/redis';
import { MemorySessionStore } from './sessions/memory-session-store';
import { RedisSessionStore } from './sessions/redis-session-store';
import type { SessionStore } from './sessions/session-store';
import { LocalUserChangeFeed, RedisUserChangeFeed, type UserChangeFeed } from './users/user-change-feed';
import type { Logger } from 'pino';

const SHUTDOWN_TIMEOUT_MS = 10_000;
const STARTUP_RETRY_MS = 30_000;

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) console.error(`config error: ${problem}`);
    process.exit(1);
  }
  const logger = createLogger(config);
  warnAboutDevMode(config, logger);

  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const applied = await retry(() => migrateDatabase(database.url), 'PostgreSQL', logger);
  if (applied.length > 0) logger.info({ applied }, 'applied migrations');

  const keys = config.jwt.keys ?? loadOrCreateDevKeys(config.dataDir, config.jwt.algorithm);
  const { sessions, rateLimits, redis, userChanges } = await openRedisStores(config, keys, logger);
  const app = await createApp(config, { database, sessions, rateLimits, redis, keys, logger, userChanges });
  const url = await app.listen();
  const coprocessor = await app.coprocessor?.listen();
  const metrics = await app.metrics?.listen();
  logger.info(
    { url, coprocessor: coprocessor ?? 'off', metrics: metrics ?? 'off', tracing: config.tracing.endpoint ?? 'off', database: database.kind, sessions: config.redisClusterNodes ? 'redis cluster' : config.redisUrl ? 'redis' : 'memory' },
    `Portcullis ready at ${url}${coprocessor ? `, coprocessor at ${coprocessor}` : ''}`,
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    setTimeout(() => {
      logger.error('shutdown timed out');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    void closeAll(() => app.close(), [sessions, userChanges, database])
      .then(stopTracing) // the spans of the last requests, exported before the process ends
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** Sessions, abuse counters and the user change feed share one Redis client (the session store closes it), or all live in process. */
async function openRedisStores(
  config: Config,
  keys: TokenKeys,
  logger: Logger,
): Promise<{ sessions: SessionStore; rateLimits: RateLimits; redis?: RedisClient; userChanges: UserChangeFeed }> {
  const redis = openRedis(config, logger);
  if (!redis) {
    return {
      sessions: new MemorySessionStore(),
      rateLimits: createRateLimits(config.rateLimits, { kind: 'memory' }, keys, logger),
      userChanges: new LocalUserChangeFeed(),
    };
  }
  if (!(await waitForRedis(redis, 5_000))) {
    logger.error('Redis is not reachable yet: requests that need it answer SERVICE_UNAVAILABLE until it is');
  }
  return {
    sessions: new RedisSessionStore(redis, config.redisKeyPrefix, { layout: config.sessions.layout }),
    rateLimits: createRateLimits(config.rateLimits, { kind: 'redis', redis, keyPrefix: config.redisKeyPrefix }, keys, logger),
    redis,
    userChanges: new RedisUserChangeFeed(redis, `${config.redisKeyPrefix}user-changed`),
  };
}

async function closeAll(stopHttp: () => Promise<void>, stores: Array<{ close(): Promise<void> }>): Promise<void> {
  await stopHttp();
  await Promise.allSettled(stores.map((store) => store.close()));
}

/** Start-up waits for PostgreSQL (e.g. a container still booting) for up to 30 s, then gives up. */
async function retry<T>(task: () => Promise<T>, what: string, logger: Logger): Promise<T> {
  const deadline = Date.now() + STARTUP_RETRY_MS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await task();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      logger.warn({ attempt, err: (error as Error).message }, `${what} not ready, retrying`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

function warnAboutDevMode(config: Config, logger: Logger): void {
  const embedded = [
    !config.databaseUrl && `embedded PostgreSQL (PGlite) under ${config.dataDir}/pglite`,
    !config.redisUrl && !config.redisClusterNodes && 'in-process session store',
    !config.jwt.keys && `generated dev keys under ${config.dataDir}`,
    !config.dataEncryption.keys && `a generated data encryption key under ${config.dataDir}`,
  ].filter(Boolean);
  if (embedded.length === 0) return;
  logger.warn({ embedded }, 'single-instance dev mode');
  // Also in plain text on stderr: a JSON log line is easy to miss, and this must not be.
  const bar = '!'.repeat(78);
  console.error(
    `\n${bar}\n  SINGLE-INSTANCE DEV MODE: ${embedded.join(', ')}.\n` +
      `  Fine for trying Portcullis out; set DATABASE_URL, REDIS_URL, signing keys and DATA_ENCRYPTION_KEY for anything real.\n${bar}\n`,
  );
}

main().catch((error: unknown) => {
  console.error("Portcullis failed to start:", error);
  process.exit(1);
});

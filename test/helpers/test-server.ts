// createTestServer(overrides): the real app on port 0, on this file's database and Redis prefix.
import pino, { type Logger } from 'pino';
import { createApp, type App, type AppDeps } from '../../src/app';
import type { PasswordHasher } from '../../src/auth/password';
import { createRateLimits, type RateLimits } from '../../src/auth/rate-limit';
import type { Clock } from '../../src/auth/tokens';
import { loadConfig, type Config, type TokenKeys } from '../../src/config/config';
import { openDatabase, type Database } from '../../src/infra/database';
import { migrate } from '../../src/infra/migrate';
import { openRedis, waitForRedis } from '../../src/infra/redis';
import { MemorySessionStore } from '../../src/sessions/memory-session-store';
import { RedisSessionStore } from '../../src/sessions/redis-session-store';
import type { SessionStore } from '../../src/sessions/session-store';
import { LocalUserChangeFeed, RedisUserChangeFeed, type UserChangeFeed } from '../../src/users/user-change-feed';
import { createTestDatabase, newRedisPrefix, realRedisUrl, type TestDatabase } from './backends';
import { graphqlClient, type GraphQLClient } from './graphql';

export const TEST_SECRETS = {
  JWT_SECRET: 'test-access-secret-0123456789abcdef-0123456789',
  JWT_REFRESH_SECRET: 'test-refresh-secret-0123456789abcdef-012345678',
  DATA_ENCRYPTION_KEY: 'dGVzdC1kYXRhLWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=',
};

export interface TestServer extends GraphQLClient {
  url: string;
  origin: string;
  /** POST here for Apollo Router's coprocessor, when COPROCESSOR_PORT is set (0 in tests: a free port). */
  coprocessorUrl: string | undefined;
  /** GET here for Prometheus metrics, when METRICS_PORT is set (0 in tests: a free port). */
  metricsUrl: string | undefined;
  config: Config;
  keys: TokenKeys;
  database: Database;
  sessions: SessionStore;
  rateLimits: RateLimits;
  userChanges: UserChangeFeed;
  app: App;
  /** The env this server was built from, to start a second instance on the same stores. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  /** Another server whose database and Redis (prefix included) this one shares, as a second instance would. */
  shareWith?: TestServer;
  clock?: Clock;
  hasher?: PasswordHasher;
  /** Put the session store behind something else (e.g. a TCP proxy we can cut). */
  redisUrl?: string;
  databaseUrl?: string;
  /** Where the app logs (default: pino at LOG_LEVEL, silent in tests). */
  logger?: Logger;
  /** A fixed port (e.g. one PUBLIC_URL names, for OpenID callbacks); default a free one. */
  port?: number;
  /** The network to OpenID providers and the first discovery retry delay (src/app.ts AppDeps.oidc). */
  oidc?: { fetch?: typeof fetch; firstRetryMs?: number };
  /** Wraps the account-recovery store (e.g. a flawed one, to prove a measurement can fail). */
  wrapRecoveryStore?: AppDeps['wrapRecoveryStore'];
}

const fileResources: { database?: TestDatabase; prefix?: string; memoryStore?: MemorySessionStore; localFeed?: LocalUserChangeFeed } = {};

export async function createTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  fileResources.database ??= await createTestDatabase();
  fileResources.prefix ??= newRedisPrefix();
  const base = options.shareWith?.env ?? {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...TEST_SECRETS,
    REDIS_KEY_PREFIX: fileResources.prefix,
    // Every test request comes from 127.0.0.1: per-IP limits high enough for a whole file, unless a test sets its own.
    RATE_LIMIT_LOGIN_PER_IP: '100000',
    RATE_LIMIT_REGISTER_PER_IP: '100000',
    RATE_LIMIT_REFRESH_PER_IP: '100000',
    RATE_LIMIT_PASSWORD_RESET_PER_IP: '100000',
    RATE_LIMIT_TOKEN_PER_IP: '100000',
    MAIL_POLL_INTERVAL: '1s',
    DATA_DIR: fileResources.database.dataDir,
    ...(fileResources.database.url ? { DATABASE_URL: fileResources.database.url } : {}),
    ...(realRedisUrl() ? { REDIS_URL: realRedisUrl()! } : {}),
  };
  const env: Record<string, string> = { ...base, ...options.env };
  // Production requires SMTP_URL (SPEC §10): tests of production behaviour that send no mail on purpose
  // get a port nothing listens on (the discard port), so their mails simply wait in the queue.
  if (env.NODE_ENV === 'production' && !env.SMTP_URL) env.SMTP_URL = 'smtp://127.0.0.1:9';
  if (options.redisUrl) env.REDIS_URL = options.redisUrl;
  if (env.REDIS_CLUSTER_NODES) delete env.REDIS_URL; // a cluster instead of the single node
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  const config = loadConfig(env);
  const logger = options.logger ?? pino({ level: config.logLevel });

  const database =
    options.shareWith && !config.databaseUrl ? options.shareWith.database : await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  if (database !== options.shareWith?.database) await migrate(database.pool);
  // One Redis client for sessions and abuse counters, as main.ts does.
  const redis = openRedis(config, logger);
  if (redis) await waitForRedis(redis, 5_000); // as main.ts does: the first request should not race the connection
  const sessions: SessionStore = redis
    ? new RedisSessionStore(redis, config.redisKeyPrefix, { layout: config.sessions.layout })
    : (fileResources.memoryStore ??= new MemorySessionStore());
  const keys = config.jwt.keys!;
  const rateLimits = redis
    ? createRateLimits(config.rateLimits, { kind: 'redis', redis, keyPrefix: config.redisKeyPrefix }, keys, logger)
    : (options.shareWith?.rateLimits ?? createRateLimits(config.rateLimits, { kind: 'memory' }, keys, logger));
  // In memory mode the instances of one file share a process, so they share one local feed too.
  const userChanges: UserChangeFeed = redis
    ? new RedisUserChangeFeed(redis, `${config.redisKeyPrefix}user-changed`)
    : (fileResources.localFeed ??= new LocalUserChangeFeed());
  const app = await createApp(config, {
    database, sessions, rateLimits, redis, keys, logger, clock: options.clock, hasher: options.hasher, userChanges,
    oidc: options.oidc, wrapRecoveryStore: options.wrapRecoveryStore,
  });
  const url = await app.listen(options.port ?? 0, '127.0.0.1');
  const coprocessorUrl = await app.coprocessor?.listen(0);
  const metricsUrl = await app.metrics?.listen(0);
  const client = graphqlClient(url);

  return {
    ...client,
    url,
    origin: new URL(url).origin,
    coprocessorUrl,
    metricsUrl,
    config,
    keys,
    database,
    sessions,
    rateLimits,
    userChanges,
    app,
    env,
    async close() {
      await app.close();
      if (redis) await Promise.all([userChanges.close(), sessions.close()]);
      if (database !== options.shareWith?.database) await database.close();
    },
  };
}

/** Drops this file's database; call once in the file's last afterAll. */
export async function releaseTestResources(): Promise<void> {
  await fileResources.database?.drop();
  fileResources.database = undefined;
}

// The ioredis client (one node, or a Redis Cluster), tuned to fail fast instead of queueing while Redis is away.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { ServiceUnavailableError } from '../errors';

/** What the stores talk to: one Redis node or a Redis Cluster; every key a script touches is in its KEYS. */
export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  readonly redisUrl: string | undefined;
  readonly redisClusterNodes: ReadonlyArray<{ readonly host: string; readonly port: number }> | undefined;
}

/** The configured Redis (REDIS_CLUSTER_NODES, else REDIS_URL), or undefined in the in-process dev mode. */
export function openRedis(target: RedisTarget, logger?: Pick<Logger, 'warn'>): RedisClient | undefined {
  if (target.redisClusterNodes) return createRedisCluster(target.redisClusterNodes, logger);
  return target.redisUrl ? createRedis(target.redisUrl, logger) : undefined;
}

const COMMAND_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 1_500;
const MAX_RECONNECT_DELAY_MS = 1_000;

const NODE_OPTIONS = {
  // Fail a command at once while disconnected rather than letting requests pile up (SPEC §5).
  enableOfflineQueue: false,
  commandTimeout: COMMAND_TIMEOUT_MS,
  connectTimeout: CONNECT_TIMEOUT_MS,
  maxRetriesPerRequest: 0,
  retryStrategy: (attempt: number) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
} satisfies RedisOptions;

export function createRedis(url: string, logger?: Pick<Logger, 'warn'>): Redis {
  const redis = new Redis(url, { ...NODE_OPTIONS, enableAutoPipelining: true, lazyConnect: false });
  // Connection errors are expected while Redis is away; commands fail closed on their own.
  redis.on('error', (error: Error) => logger?.warn({ err: error.message }, 'redis connection error'));
  return redis;
}

/**
 * A Redis Cluster: commands go to the master of their key's slot, and a failover (a replica promoted)
 * is followed by refreshing the slot map. While a slot has no reachable master its commands fail at
 * once (no offline queue), so requests answer SERVICE_UNAVAILABLE instead of waiting.
 */
export function createRedisCluster(nodes: ReadonlyArray<{ host: string; port: number }>, logger?: Pick<Logger, 'warn'>): Cluster {
  const cluster = new Cluster(
    nodes.map((node) => ({ ...node })),
    {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      scaleReads: 'master', // replicas lag (replication is asynchronous): a session read there could be stale
      maxRedirections: 4,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
      slotsRefreshInterval: 5_000,
      clusterRetryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
      redisOptions: NODE_OPTIONS,
    },
  );
  cluster.on('error', (error: Error) => logger?.warn({ err: error.message }, 'redis cluster error'));
  cluster.on('node error', (error: Error, node: string) => logger?.warn({ err: error.message, node }, 'redis cluster node error'));
  return cluster;
}

/** Waits for the first connection, up to `timeoutMs`; resolves false (and keeps retrying) if Redis is away. */
export async function waitForRedis(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
}

/** Replies that mean Redis cannot serve now, as opposed to a bug in a command. */
const UNAVAILABLE_REPLIES = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOAUTH|WRONGPASS|OOM)/;

/** Connection failures and time-outs become SERVICE_UNAVAILABLE; a genuine reply error stays internal. */
export function redisFailure(error: unknown): Error {
  const isReply = error instanceof Error && error.name === 'ReplyError';
  if (isReply && !UNAVAILABLE_REPLIES.test(error.message)) return error;
  return new ServiceUnavailableError('redis', error);
}

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
      // Off on a cluster: an auto-pipeline caught by a failover hands its MOVED replies to the caller
      // instead of following them (seen in the failover test).
      enableAutoPipelining: false,
      scaleReads: 'master', // replicas lag (replication is asynchronous): a session read there could be stale
      maxRedirections: 4,
      // No delayed retries: a retry still queued when the command times out runs later, after the client
      // was told SERVICE_UNAVAILABLE, and a late rotation signs its user out (seen in the failover test).
      // MOVED and ASK are still followed: those replies mean the command did not run.
      retryDelayOnFailover: 0,
      retryDelayOnClusterDown: 0,
      retryDelayOnTryAgain: 0,
      slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
      slotsRefreshInterval: 5_000,
      clusterRetryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
      redisOptions: NODE_OPTIONS,
    },
  );
  // ioredis opens a node's connection lazily, on its first command, and without an offline queue every
  // other command sent while it opens fails: open each node's connection as soon as the node is known.
  cluster.on('+node', (node: Redis) => {
    if (node.status === 'wait') node.connect().catch(() => undefined);
  });
  cluster.on('error', (error: Error) => logger?.warn({ err: error.message }, 'redis cluster error'));
  cluster.on('node error', (error: Error, node: string) => logger?.warn({ err: error.message, node }, 'redis cluster node error'));
  return cluster;
}

/**
 * Waits for the first connection, up to `timeoutMs`; resolves false (and keeps retrying) if Redis is away.
 * A cluster is ready once its slot map is read, but each master's own connection may still be opening,
 * and without an offline queue a command sent there fails: so this also waits for every master.
 */
export async function waitForRedis(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  if (redis.status !== 'ready' && !(await once(redis, 'ready', timeoutMs))) return false;
  if (!(redis instanceof Cluster)) return true;
  for (const node of redis.nodes('master')) if (node.status === 'wait') node.connect().catch(() => undefined);
  while (!redis.nodes('master').every((node) => node.status === 'ready')) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

function once(redis: RedisClient, event: 'ready', timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off(event, onEvent);
      resolve(false);
    }, timeoutMs);
    const onEvent = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once(event, onEvent);
  });
}

/**
 * Replies that mean Redis cannot serve now, as opposed to a bug in a command. MOVED and ASK are followed
 * by the cluster client; one that still reaches us is a slot map in flux (a failover).
 */
const UNAVAILABLE_REPLIES = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOAUTH|WRONGPASS|OOM|MOVED|ASK)\b/;

/** Connection failures and time-outs become SERVICE_UNAVAILABLE; a genuine reply error stays internal. */
export function redisFailure(error: unknown): Error {
  return isGenuineReply(error) ? (error as Error) : new ServiceUnavailableError('redis', error);
}

/**
 * A reply error that is the command's own fault (a bug), not Redis being unable to serve. A discarded
 * transaction (EXECABORT) is judged by the errors of the commands it queued.
 */
function isGenuineReply(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== 'ReplyError') return false;
  const queued = (error as { previousErrors?: unknown }).previousErrors;
  if (error.message.startsWith('EXECABORT') && Array.isArray(queued) && queued.length > 0) return queued.some(isGenuineReply);
  return !UNAVAILABLE_REPLIES.test(error.message);
}

// The ioredis client, tuned to fail fast instead of queueing while Redis is away.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ServiceUnavailableError } from '../errors';

const COMMAND_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 1_500;
const MAX_RECONNECT_DELAY_MS = 1_000;

export function createRedis(url: string, logger?: Pick<Logger, 'warn'>): Redis {
  const redis = new Redis(url, {
    // Fail a command at once while disconnected rather than letting requests pile up (SPEC §5).
    enableOfflineQueue: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    enableAutoPipelining: true,
    lazyConnect: false,
  });
  // Connection errors are expected while Redis is away; commands fail closed on their own.
  redis.on('error', (error: Error) => logger?.warn({ err: error.message }, 'redis connection error'));
  return redis;
}

/** Waits for the first connection, up to `timeoutMs`; resolves false (and keeps retrying) if Redis is away. */
export async function waitForRedis(redis: Redis, timeoutMs: number): Promise<boolean> {
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

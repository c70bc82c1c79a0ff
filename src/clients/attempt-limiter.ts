// Counts attempts per key in fixed windows (rate-limiter-flexible on Redis, or in memory in dev
// mode) behind a small interface. Used for client-credential attempts, with the login limits.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimit } from '../config/config';
import { RateLimitedError } from '../errors';
import { redisFailure } from '../infra/redis';

export interface AttemptLimiter {
  /** Counts one attempt, atomically; throws RateLimitedError once past the limit. */
  consume(key: string): Promise<void>;
  /** Forgets the attempts counted for a key (after a success). */
  reset(key: string): Promise<void>;
}

export class FlexibleAttemptLimiter implements AttemptLimiter {
  private readonly limiter: RateLimiterAbstract;

  constructor(limit: RateLimit, keyPrefix: string, redis?: Redis) {
    const options = { points: limit.points, duration: limit.window.seconds, keyPrefix };
    this.limiter = redis ? new RateLimiterRedis({ ...options, storeClient: redis }) : new RateLimiterMemory(options);
  }

  async consume(key: string): Promise<void> {
    try {
      await this.limiter.consume(key);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw new RateLimitedError(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
      throw redisFailure(error);
    }
  }

  async reset(key: string): Promise<void> {
    try {
      await this.limiter.delete(key);
    } catch (error) {
      throw redisFailure(error);
    }
  }
}

// What is known about each mfaToken in flight, by its jti: how many wrong codes it has seen, and whether
// it has been used. On Redis (shared by every instance, atomic scripts) or in process (dev mode); both
// pass test/integration/mfa-stores.contract.test.ts.
import { redisFailure, type RedisClient } from '../infra/redis';

export interface MfaAttemptStore {
  /** True while the token is neither used nor out of attempts. */
  isLive(jti: string, maxFailures: number): Promise<boolean>;
  /** Counts a wrong code; returns the attempts left (0: the token is dead). `ttlSeconds`: the token's remaining life. */
  recordFailure(jti: string, maxFailures: number, ttlSeconds: number): Promise<number>;
  /** Marks the token used. True only for the one caller that did so while it was live. */
  consume(jti: string, maxFailures: number, ttlSeconds: number): Promise<boolean>;
}

const USED = 'used';

// KEYS[1] the token's state. ARGV: ttl. Returns the failures so far, or -1 when already used.
const FAIL = `
local state = redis.call('GET', KEYS[1])
if state == '${USED}' then return -1 end
local failures = redis.call('INCR', KEYS[1])
if failures == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return failures`;

// KEYS[1] the token's state. ARGV: max failures, ttl. 1 when this call used a live token.
const CONSUME = `
local state = redis.call('GET', KEYS[1])
if state == '${USED}' then return 0 end
if state and tonumber(state) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], '${USED}', 'EX', ARGV[2])
return 1`;

interface Scripts {
  portcullisMfaFail(key: string, ttl: number): Promise<number>;
  portcullisMfaConsume(key: string, maxFailures: number, ttl: number): Promise<number>;
}

export class RedisMfaAttemptStore implements MfaAttemptStore {
  private readonly redis: RedisClient & Scripts;

  constructor(
    redis: RedisClient,
    private readonly keyPrefix: string,
  ) {
    redis.defineCommand('portcullisMfaFail', { numberOfKeys: 1, lua: FAIL });
    redis.defineCommand('portcullisMfaConsume', { numberOfKeys: 1, lua: CONSUME });
    this.redis = redis as RedisClient & Scripts;
  }

  async isLive(jti: string, maxFailures: number): Promise<boolean> {
    const state = await this.call(() => this.redis.get(this.key(jti)));
    return state === null || (state !== USED && Number(state) < maxFailures);
  }

  async recordFailure(jti: string, maxFailures: number, ttlSeconds: number): Promise<number> {
    const failures = await this.call(() => this.redis.portcullisMfaFail(this.key(jti), Math.max(1, ttlSeconds)));
    return failures < 0 ? 0 : Math.max(0, maxFailures - failures);
  }

  async consume(jti: string, maxFailures: number, ttlSeconds: number): Promise<boolean> {
    return (await this.call(() => this.redis.portcullisMfaConsume(this.key(jti), maxFailures, Math.max(1, ttlSeconds)))) === 1;
  }

  /** The jti comes from a verified token (base64url): no brace can reach the hash tag. */
  private key(jti: string): string {
    return `${this.keyPrefix}{mfa:${jti}}`;
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw redisFailure(error);
    }
  }
}

export class MemoryMfaAttemptStore implements MfaAttemptStore {
  private readonly states = new Map<string, { failures: number; used: boolean; expiresAtMs: number }>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  async isLive(jti: string, maxFailures: number): Promise<boolean> {
    return this.live(jti, maxFailures);
  }

  async recordFailure(jti: string, maxFailures: number, ttlSeconds: number): Promise<number> {
    const state = this.current(jti) ?? { failures: 0, used: false, expiresAtMs: this.nowMs() + Math.max(1, ttlSeconds) * 1000 };
    if (state.used) return 0;
    state.failures += 1;
    this.states.set(jti, state);
    return Math.max(0, maxFailures - state.failures);
  }

  /** No await between the check and the write: concurrent callers cannot both see the token live. */
  async consume(jti: string, maxFailures: number, ttlSeconds: number): Promise<boolean> {
    if (!this.live(jti, maxFailures)) return false;
    this.sweep();
    this.states.set(jti, { failures: this.current(jti)?.failures ?? 0, used: true, expiresAtMs: this.nowMs() + Math.max(1, ttlSeconds) * 1000 });
    return true;
  }

  private live(jti: string, maxFailures: number): boolean {
    const state = this.current(jti);
    return !state || (!state.used && state.failures < maxFailures);
  }

  private current(jti: string) {
    const state = this.states.get(jti);
    return state && state.expiresAtMs > this.nowMs() ? state : undefined;
  }

  /** Expired entries go on each write, so the map holds at most the tokens of the last few minutes. */
  private sweep(): void {
    const now = this.nowMs();
    for (const [jti, state] of this.states) if (state.expiresAtMs <= now) this.states.delete(jti);
  }
}

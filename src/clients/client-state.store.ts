// ClientStateStore on Redis (one key per client, hash-tagged by client id) and in memory (dev mode).
import { redisFailure, type RedisClient } from '../infra/redis';
import type { ClientStateStore } from './service-client';

const DISABLED = 'disabled';

// KEYS[1] state. ARGV: version, ttl. Refuses when disabled or already at a newer version.
const ACTIVATE = `
local current = redis.call('GET', KEYS[1])
if current == '${DISABLED}' then return 0 end
if current and tonumber(current) > tonumber(ARGV[1]) then return 0 end
local ttl = redis.call('TTL', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'EX', math.max(tonumber(ARGV[2]), ttl))
return 1`;

// KEYS[1] state. ARGV: version, ttl. A disabled client stays disabled.
const ROTATE = `
if redis.call('GET', KEYS[1]) == '${DISABLED}' then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1`;

interface Scripts {
  portcullisClientActivate(key: string, version: number, ttl: number): Promise<number>;
  portcullisClientRotate(key: string, version: number, ttl: number): Promise<number>;
}

export class RedisClientStateStore implements ClientStateStore {
  private readonly redis: RedisClient & Scripts;

  constructor(redis: RedisClient, private readonly keyPrefix: string) {
    redis.defineCommand('portcullisClientActivate', { numberOfKeys: 1, lua: ACTIVATE });
    redis.defineCommand('portcullisClientRotate', { numberOfKeys: 1, lua: ROTATE });
    this.redis = redis as RedisClient & Scripts;
  }

  private key(clientId: string): string {
    return `${this.keyPrefix}{client:${clientId}}:state`;
  }

  async activate(clientId: string, version: number, ttlSeconds: number): Promise<boolean> {
    return (await this.call(() => this.redis.portcullisClientActivate(this.key(clientId), version, ttlSeconds))) === 1;
  }

  async rotate(clientId: string, version: number, ttlSeconds: number): Promise<void> {
    await this.call(() => this.redis.portcullisClientRotate(this.key(clientId), version, ttlSeconds));
  }

  async disable(clientId: string, ttlSeconds: number): Promise<void> {
    await this.call(() => this.redis.set(this.key(clientId), DISABLED, 'EX', ttlSeconds));
  }

  async isLive(clientId: string, version: number): Promise<boolean> {
    return (await this.call(() => this.redis.get(this.key(clientId)))) === String(version);
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw redisFailure(error);
    }
  }
}

export class MemoryClientStateStore implements ClientStateStore {
  private readonly states = new Map<string, { value: string; expiresAtMs: number }>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  async activate(clientId: string, version: number, ttlSeconds: number): Promise<boolean> {
    const current = this.current(clientId);
    if (current === DISABLED || (current !== undefined && Number(current) > version)) return false;
    const existing = this.states.get(clientId)?.expiresAtMs ?? 0;
    this.states.set(clientId, { value: String(version), expiresAtMs: Math.max(existing, this.nowMs() + ttlSeconds * 1000) });
    return true;
  }

  async rotate(clientId: string, version: number, ttlSeconds: number): Promise<void> {
    if (this.current(clientId) === DISABLED) return;
    this.states.set(clientId, { value: String(version), expiresAtMs: this.nowMs() + ttlSeconds * 1000 });
  }

  async disable(clientId: string, ttlSeconds: number): Promise<void> {
    this.states.set(clientId, { value: DISABLED, expiresAtMs: this.nowMs() + ttlSeconds * 1000 });
  }

  async isLive(clientId: string, version: number): Promise<boolean> {
    return this.current(clientId) === String(version);
  }

  private current(clientId: string): string | undefined {
    const state = this.states.get(clientId);
    if (!state || state.expiresAtMs <= this.nowMs()) return undefined;
    return state.value;
  }
}

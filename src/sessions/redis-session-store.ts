// Sessions in Redis. Every key of one user shares the hash tag {userId}, so the Lua scripts below
// touch a single slot and run unchanged on Redis Cluster.
import type { Redis } from 'ioredis';
import { redisFailure } from '../infra/redis';
import type { Rotation, RotationResult, Session, SessionStore } from './session-store';

// KEYS[1] session hash, KEYS[2] the user's session index. ARGV: sid, ttl, session key prefix,
// then field/value pairs. Also drops index entries whose session has expired.
const CREATE = `
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], ARGV[2])
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[3] .. sid) == 0 then redis.call('SREM', KEYS[2], sid) end
end
redis.call('SADD', KEYS[2], ARGV[1])
if redis.call('TTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
return 1`;

// KEYS[1] session, KEYS[2] index. ARGV: userId, presented, next, now, refresh ttl, grace, ip, ua, sid.
// The session slides by the refresh ttl but never past its hard end (field x).
const ROTATE = `
local s = redis.call('HMGET', KEYS[1], 'u', 'rt', 'prt', 'rat', 'x')
if s[1] ~= ARGV[1] then return {'missing', 0} end
if s[2] == ARGV[2] then
  local ttl = math.min(tonumber(ARGV[5]), tonumber(s[5]) - tonumber(ARGV[4]))
  if ttl <= 0 then
    redis.call('DEL', KEYS[1])
    redis.call('SREM', KEYS[2], ARGV[9])
    return {'missing', 0}
  end
  redis.call('HSET', KEYS[1], 'rt', ARGV[3], 'prt', ARGV[2], 'rat', ARGV[4], 'l', ARGV[4], 'ip', ARGV[7], 'ua', ARGV[8])
  redis.call('EXPIRE', KEYS[1], ttl)
  if redis.call('TTL', KEYS[2]) < ttl then redis.call('EXPIRE', KEYS[2], ttl) end
  return {'rotated', ttl}
end
if s[3] == ARGV[2] and tonumber(ARGV[4]) - tonumber(s[4]) < tonumber(ARGV[6]) then return {'grace', 0} end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[9])
return {'reused', 0}`;

// KEYS[1] session, KEYS[2] index. ARGV: sid.
const REVOKE = `
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1`;

// KEYS[1] index. ARGV: session key prefix (same hash tag), the session id to keep ('' for none).
// Returns how many sessions were live and revoked.
const REVOKE_ALL = `
local live = 0
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if sid ~= ARGV[2] then
    live = live + redis.call('DEL', ARGV[1] .. sid)
    redis.call('SREM', KEYS[1], sid)
  end
end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) end
return live`;

// KEYS[1] index. ARGV: session key prefix, user id. Read-only: sid, HGETALL pairs of each live session.
const LIST = `
local out = {}
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local hash = redis.call('HGETALL', ARGV[1] .. sid)
  if #hash > 0 then
    out[#out + 1] = sid
    out[#out + 1] = hash
  end
end
return out`;

interface Scripts {
  portcullisCreate(session: string, index: string, ...args: (string | number)[]): Promise<number>;
  portcullisRotate(session: string, index: string, ...args: (string | number)[]): Promise<[string, number]>;
  portcullisRevoke(session: string, index: string, sid: string): Promise<number>;
  portcullisRevokeAll(index: string, sessionPrefix: string, keep: string): Promise<number>;
  portcullisList(index: string, sessionPrefix: string): Promise<(string | string[])[]>;
}

export class RedisSessionStore implements SessionStore {
  private readonly redis: Redis & Scripts;

  constructor(redis: Redis, private readonly keyPrefix: string) {
    redis.defineCommand('portcullisCreate', { numberOfKeys: 2, lua: CREATE });
    redis.defineCommand('portcullisRotate', { numberOfKeys: 2, lua: ROTATE });
    redis.defineCommand('portcullisRevoke', { numberOfKeys: 2, lua: REVOKE });
    redis.defineCommand('portcullisRevokeAll', { numberOfKeys: 1, lua: REVOKE_ALL });
    redis.defineCommand('portcullisList', { numberOfKeys: 1, lua: LIST });
    this.redis = redis as Redis & Scripts;
  }

  private sessionPrefix(userId: string): string {
    return `${this.keyPrefix}{${userId}}:s:`;
  }

  private indexKey(userId: string): string {
    return `${this.keyPrefix}{${userId}}:sessions`;
  }

  async create(session: Session, ttlSeconds: number): Promise<void> {
    const fields = {
      u: session.userId,
      rt: session.refreshJtiHash,
      c: session.createdAt,
      l: session.lastUsedAt,
      x: session.expiresAt,
      ip: session.ip,
      ua: session.userAgent,
    };
    const prefix = this.sessionPrefix(session.userId);
    await this.call(() =>
      this.redis.portcullisCreate(
        prefix + session.id,
        this.indexKey(session.userId),
        session.id,
        ttlSeconds,
        prefix,
        ...Object.entries(fields).flat(),
      ),
    );
  }

  async ownerOf(sessionId: string, userId: string): Promise<string | null> {
    return this.call(() => this.redis.hget(this.sessionPrefix(userId) + sessionId, 'u'));
  }

  async get(sessionId: string, userId: string): Promise<Session | null> {
    const hash = await this.call(() => this.redis.hgetall(this.sessionPrefix(userId) + sessionId));
    return fromHash(sessionId, userId, hash);
  }

  async listByUser(userId: string): Promise<Session[]> {
    const flat = await this.call(() => this.redis.portcullisList(this.indexKey(userId), this.sessionPrefix(userId)));
    const sessions: Session[] = [];
    for (let index = 0; index + 1 < flat.length; index += 2) {
      const pairs = flat[index + 1] as string[];
      const hash: Record<string, string> = {};
      for (let field = 0; field + 1 < pairs.length; field += 2) hash[pairs[field]!] = pairs[field + 1]!;
      const session = fromHash(flat[index] as string, userId, hash);
      if (session) sessions.push(session);
    }
    return sessions;
  }

  async rotate(rotation: Rotation): Promise<RotationResult> {
    const { sessionId, userId } = rotation;
    const [outcome, ttlSeconds] = await this.call(() =>
      this.redis.portcullisRotate(
        this.sessionPrefix(userId) + sessionId,
        this.indexKey(userId),
        userId,
        rotation.presentedJtiHash,
        rotation.nextJtiHash,
        rotation.now,
        rotation.refreshTtlSeconds,
        rotation.graceSeconds,
        rotation.ip,
        rotation.userAgent,
        sessionId,
      ),
    );
    return outcome === 'rotated' ? { outcome, ttlSeconds } : { outcome: outcome as 'grace' | 'reused' | 'missing' };
  }

  async isCurrentRefresh(sessionId: string, userId: string, jtiHash: string): Promise<boolean> {
    const [owner, current] = await this.call(() => this.redis.hmget(this.sessionPrefix(userId) + sessionId, 'u', 'rt'));
    return owner === userId && current === jtiHash;
  }

  async revoke(sessionId: string, userId: string): Promise<void> {
    await this.call(() => this.redis.portcullisRevoke(this.sessionPrefix(userId) + sessionId, this.indexKey(userId), sessionId));
  }

  async revokeAll(userId: string, options: { except?: string } = {}): Promise<number> {
    return this.call(() => this.redis.portcullisRevokeAll(this.indexKey(userId), this.sessionPrefix(userId), options.except ?? ''));
  }

  async ping(): Promise<void> {
    await this.call(() => this.redis.ping());
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw redisFailure(error);
    }
  }
}

function fromHash(sessionId: string, userId: string, hash: Record<string, string>): Session | null {
  if (hash.u !== userId) return null;
  return {
    id: sessionId,
    userId,
    refreshJtiHash: hash.rt ?? '',
    createdAt: Number(hash.c),
    lastUsedAt: Number(hash.l),
    expiresAt: Number(hash.x),
    ip: hash.ip ?? '',
    userAgent: hash.ua ?? '',
  };
}

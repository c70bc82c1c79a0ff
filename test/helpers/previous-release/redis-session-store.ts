// The previous release's RedisSessionStore (layout v1), verbatim from commit f8202532d36ad6f4363181f3305edc648258179e
// (git show f820253:src/sessions/redis-session-store.ts) but for the import path below. Kept so that tests
// drive the code that instances of the previous release run beside new ones during a rolling upgrade
// (SESSION_LAYOUT=v1, docs/operations.md): they must find and refresh every session the new code writes.
// Do not update it with the current code.
// Sessions in Redis. Every key of one user shares the hash tag {userId}, and every script names every
// key it touches in KEYS (the session keys of a user's index are read first and passed in), so the
// scripts touch a single slot and run unchanged on Redis Cluster.
import { redisFailure, type RedisClient } from '../../../src/infra/redis';
import type { Rotation, RotationResult, Session, SessionStore } from './session-store';

/** A script that found a session in the index it was not given the key of answers this: read the index again. */
const STALE_KEYS = -1;
const MAX_ATTEMPTS = 5;

// KEYS[1] session hash, KEYS[2] the user's session index, KEYS[3..] the keys of the sessions the index
// held when read. ARGV: sid, ttl, session key prefix, then field/value pairs. Also drops index entries
// whose session has expired (among those given: one created meanwhile is live anyway).
const CREATE = `
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], ARGV[2])
for i = 3, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then redis.call('SREM', KEYS[2], string.sub(KEYS[i], #ARGV[3] + 1)) end
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

// Checks that KEYS[2..] name every session in the index KEYS[1] (ARGV[1] is the session key prefix,
// ARGV[2] a session id that needs no key): a session created since the index was read has no key here.
const ALL_DECLARED = `
local declared = {}
for i = 2, #KEYS do declared[KEYS[i]] = true end
local sids = redis.call('SMEMBERS', KEYS[1])
for _, sid in ipairs(sids) do
  if sid ~= ARGV[2] and not declared[ARGV[1] .. sid] then return nil end
end
return sids`;

// KEYS[1] index, KEYS[2..] its sessions' keys. ARGV: session key prefix, the session id to keep ('' for
// none). Returns how many sessions were live and revoked, or ${STALE_KEYS} (nothing changed) if the index grew.
const REVOKE_ALL = `
local function members()${ALL_DECLARED}
end
local sids = members()
if not sids then return ${STALE_KEYS} end
local live = 0
for _, sid in ipairs(sids) do
  if sid ~= ARGV[2] then
    live = live + redis.call('DEL', ARGV[1] .. sid)
    redis.call('SREM', KEYS[1], sid)
  end
end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) end
return live`;

// KEYS[1] index, KEYS[2..] its sessions' keys. ARGV: session key prefix. Read-only: sid, HGETALL pairs
// of each live session, or ${STALE_KEYS} if the index grew since it was read.
const LIST = `
local function members()${ALL_DECLARED}
end
local sids = members()
if not sids then return ${STALE_KEYS} end
local out = {}
for _, sid in ipairs(sids) do
  local hash = redis.call('HGETALL', ARGV[1] .. sid)
  if #hash > 0 then
    out[#out + 1] = sid
    out[#out + 1] = hash
  end
end
return out`;

/** Scripts with a variable number of keys take it first (ioredis defineCommand without numberOfKeys). */
interface Scripts {
  portcullisCreate(keyCount: number, ...keysThenArgs: (string | number)[]): Promise<number>;
  portcullisRotate(session: string, index: string, ...args: (string | number)[]): Promise<[string, number]>;
  portcullisRevoke(session: string, index: string, sid: string): Promise<number>;
  portcullisRevokeAll(keyCount: number, ...keysThenArgs: string[]): Promise<number>;
  portcullisList(keyCount: number, ...keysThenArgs: string[]): Promise<number | (string | string[])[]>;
}

export class RedisSessionStore implements SessionStore {
  private readonly redis: RedisClient & Scripts;

  constructor(redis: RedisClient, private readonly keyPrefix: string) {
    redis.defineCommand('portcullisCreate', { lua: CREATE });
    redis.defineCommand('portcullisRotate', { numberOfKeys: 2, lua: ROTATE });
    redis.defineCommand('portcullisRevoke', { numberOfKeys: 2, lua: REVOKE });
    redis.defineCommand('portcullisRevokeAll', { lua: REVOKE_ALL });
    redis.defineCommand('portcullisList', { lua: LIST });
    this.redis = redis as RedisClient & Scripts;
  }

  /** The keys of the sessions a user's index holds now (for the scripts' KEYS). */
  private async indexedKeys(userId: string): Promise<string[]> {
    const sids = await this.redis.smembers(this.indexKey(userId));
    return sids.map((sid) => this.sessionPrefix(userId) + sid);
  }

  /** Runs a script over the index's current keys, reading the index again while it keeps growing meanwhile. */
  private async overIndex<T>(userId: string, script: (keys: string[]) => Promise<T | number>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      const keys = [this.indexKey(userId), ...(await this.indexedKeys(userId))];
      const result = await script(keys);
      if (result !== STALE_KEYS) return result as T;
      if (attempt === MAX_ATTEMPTS) throw new Error(`the session index of one user kept changing over ${MAX_ATTEMPTS} reads`);
    }
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
    await this.call(async () => {
      const keys = [prefix + session.id, this.indexKey(session.userId), ...(await this.indexedKeys(session.userId))];
      return this.redis.portcullisCreate(keys.length, ...keys, session.id, ttlSeconds, prefix, ...Object.entries(fields).flat());
    });
  }

  async ownerOf(sessionId: string, userId: string): Promise<string | null> {
    return this.call(() => this.redis.hget(this.sessionPrefix(userId) + sessionId, 'u'));
  }

  async get(sessionId: string, userId: string): Promise<Session | null> {
    const hash = await this.call(() => this.redis.hgetall(this.sessionPrefix(userId) + sessionId));
    return fromHash(sessionId, userId, hash);
  }

  async listByUser(userId: string): Promise<Session[]> {
    const flat = await this.call(() =>
      this.overIndex<(string | string[])[]>(userId, (keys) => this.redis.portcullisList(keys.length, ...keys, this.sessionPrefix(userId))),
    );
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
    return this.call(() =>
      this.overIndex<number>(userId, (keys) => this.redis.portcullisRevokeAll(keys.length, ...keys, this.sessionPrefix(userId), options.except ?? '')),
    );
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

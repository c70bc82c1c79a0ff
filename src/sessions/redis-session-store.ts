// Sessions in Redis, in layout v2 (session-layout.ts): one small hash per user. Sessions written by the
// previous release (v1) keep working until they lapse or are rotated into v2; with layout 'v1'
// (SESSION_LAYOUT=v1, while instances of the previous release still run) new sessions are written in v1
// and v1 sessions rotate in place. Every key of a user shares the hash tag {userId} and every script
// names every key it touches, so they run on Redis Cluster.
import { redisFailure, type RedisClient } from '../infra/redis';
import { decodeV1, decodeV2, encodeMeta, encodeV2, layoutOf, metaField, newV1SessionId, type SessionLayout } from './session-layout';
import { CREATE, CREATE_V1, LIST, REVOKE, REVOKE_ALL, ROTATE, STALE_KEYS } from './redis-session-scripts';
import { comparedPart, newSessionId, type Rotation, type RotationResult, type Session, type SessionStore } from './session-store';
import { storedUserAgent } from './user-agent';

const MAX_ATTEMPTS = 5;

/** Scripts with a variable number of keys take it first (ioredis defineCommand without numberOfKeys). */
interface Scripts {
  portcullisCreate2(user: string, sid: string, auth: string, meta: string, ttl: number, nowMs: number): Promise<number>;
  portcullisCreateV1(keyCount: number, ...keysThenArgs: (string | number)[]): Promise<number>;
  portcullisRotate2(user: string, index: string, v1Key: string, ...args: (string | number)[]): Promise<[string, number]>;
  portcullisRevoke2(user: string, index: string, v1Key: string, sid: string): Promise<number>;
  portcullisRevokeAll2(keyCount: number, ...keysThenArgs: (string | number)[]): Promise<number>;
  portcullisList2(keyCount: number, ...keysThenArgs: string[]): Promise<number | [string[], (string | string[])[]]>;
}

export interface RedisSessionStoreOptions {
  /** The layout new sessions are written in (SESSION_LAYOUT, default v2); both are read either way. */
  layout?: SessionLayout;
  /** The clock sessions lapse by (a v2 session carries the instant it lapses). */
  nowMs?: () => number;
}

export class RedisSessionStore implements SessionStore {
  private readonly redis: RedisClient & Scripts;
  private readonly layout: SessionLayout;
  private readonly nowMs: () => number;

  constructor(
    redis: RedisClient,
    private readonly keyPrefix: string,
    options: RedisSessionStoreOptions = {},
  ) {
    this.layout = options.layout ?? 'v2';
    this.nowMs = options.nowMs ?? Date.now;
    redis.defineCommand('portcullisCreate2', { numberOfKeys: 1, lua: CREATE });
    redis.defineCommand('portcullisCreateV1', { lua: CREATE_V1 });
    redis.defineCommand('portcullisRotate2', { numberOfKeys: 3, lua: ROTATE });
    redis.defineCommand('portcullisRevoke2', { numberOfKeys: 3, lua: REVOKE });
    redis.defineCommand('portcullisRevokeAll2', { lua: REVOKE_ALL });
    redis.defineCommand('portcullisList2', { lua: LIST });
    this.redis = redis as RedisClient & Scripts;
  }

  /** The user's v2 hash: every session of the user, two fields each. */
  private userKey(userId: string): string {
    return `${this.keyPrefix}{${userId}}:s2`;
  }

  /** v1: one hash per session under this prefix, listed in the index. */
  private v1Prefix(userId: string): string {
    return `${this.keyPrefix}{${userId}}:s:`;
  }

  private v1Index(userId: string): string {
    return `${this.keyPrefix}{${userId}}:sessions`;
  }

  /** Runs a script over the user's keys and its v1 sessions' keys, reading the v1 index again while it grows. */
  private async overIndex<T>(userId: string, script: (keys: string[]) => Promise<T | number>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      const sids = await this.redis.smembers(this.v1Index(userId));
      const keys = [this.userKey(userId), this.v1Index(userId), ...sids.map((sid) => this.v1Prefix(userId) + sid)];
      const result = await script(keys);
      if (result !== STALE_KEYS) return result as T;
      if (attempt === MAX_ATTEMPTS) throw new Error(`the session index of one user kept changing over ${MAX_ATTEMPTS} reads`);
    }
  }

  newId(): string {
    return this.layout === 'v1' ? newV1SessionId() : newSessionId();
  }

  async create(session: Session, ttlSeconds: number): Promise<void> {
    if (this.layout === 'v1') return this.createV1(session, ttlSeconds);
    const nowMs = this.nowMs();
    const { auth, meta } = encodeV2({ ...session, userAgent: storedUserAgent(session.userAgent) }, nowMs + ttlSeconds * 1000);
    await this.call(() => this.redis.portcullisCreate2(this.userKey(session.userId), session.id, auth, meta, ttlSeconds, nowMs));
  }

  /** As the previous release writes a session: its fields, the whole digest, the user agent as sent. */
  private async createV1(session: Session, ttlSeconds: number): Promise<void> {
    if (layoutOf(session.id) !== 'v1-or-v2') throw new Error('a session written in layout v1 needs a 22-character id (newId)');
    const { userId } = session;
    const fields = { u: userId, rt: session.refreshJtiHash, c: session.createdAt, l: session.lastUsedAt, x: session.expiresAt, ip: session.ip, ua: session.userAgent };
    const prefix = this.v1Prefix(userId);
    await this.call(async () => {
      const sids = await this.redis.smembers(this.v1Index(userId));
      const keys = [prefix + session.id, this.v1Index(userId), ...sids.map((sid) => prefix + sid)];
      return this.redis.portcullisCreateV1(keys.length, ...keys, session.id, ttlSeconds, prefix, ...Object.entries(fields).flat());
    });
  }

  async ownerOf(sessionId: string, userId: string): Promise<string | null> {
    const layout = layoutOf(sessionId);
    if (layout === 'none') return null;
    const [auth, v1Owner] = await this.call(() =>
      Promise.all([
        this.redis.hget(this.userKey(userId), sessionId),
        // Issued in the same tick: auto-pipelining sends both in one round trip.
        layout === 'v1-or-v2' ? this.redis.hget(this.v1Prefix(userId) + sessionId, 'u') : null,
      ]),
    );
    if (auth !== null) return decodeV2(sessionId, userId, auth, '', this.nowMs()) ? userId : null;
    return v1Owner === userId ? userId : null;
  }

  async get(sessionId: string, userId: string): Promise<Session | null> {
    const layout = layoutOf(sessionId);
    if (layout === 'none') return null;
    const [[auth, meta], v1] = await this.call(() =>
      Promise.all([
        this.redis.hmget(this.userKey(userId), sessionId, metaField(sessionId)),
        layout === 'v1-or-v2' ? this.redis.hgetall(this.v1Prefix(userId) + sessionId) : {},
      ]),
    );
    if (auth) return decodeV2(sessionId, userId, auth, meta, this.nowMs());
    return decodeV1(sessionId, userId, v1);
  }

  async listByUser(userId: string): Promise<Session[]> {
    const [v2, v1] = await this.call(() =>
      this.overIndex<[string[], (string | string[])[]]>(userId, (keys) => this.redis.portcullisList2(keys.length, ...keys, this.v1Prefix(userId))),
    );
    const nowMs = this.nowMs();
    const fields = new Map<string, string>();
    for (let index = 0; index + 1 < v2.length; index += 2) fields.set(v2[index]!, v2[index + 1]!);
    const sessions: Session[] = [];
    for (const [field, auth] of fields) {
      if (field.includes(':')) continue;
      const session = decodeV2(field, userId, auth, fields.get(metaField(field)), nowMs);
      if (session) sessions.push(session);
    }
    for (let index = 0; index + 1 < v1.length; index += 2) {
      const pairs = v1[index + 1] as string[];
      const hash: Record<string, string> = {};
      for (let field = 0; field + 1 < pairs.length; field += 2) hash[pairs[field]!] = pairs[field + 1]!;
      const session = decodeV1(v1[index] as string, userId, hash);
      if (session) sessions.push(session);
    }
    return sessions;
  }

  async rotate(rotation: Rotation): Promise<RotationResult> {
    const { sessionId, userId } = rotation;
    if (layoutOf(sessionId) === 'none') return { outcome: 'missing' };
    const [outcome, ttlSeconds] = await this.call(() =>
      this.redis.portcullisRotate2(
        this.userKey(userId),
        this.v1Index(userId),
        this.v1Prefix(userId) + sessionId,
        sessionId,
        rotation.presentedJtiHash,
        rotation.nextJtiHash,
        rotation.now,
        rotation.refreshTtlSeconds,
        rotation.graceSeconds,
        encodeMeta(rotation.ip, storedUserAgent(rotation.userAgent)),
        this.nowMs(),
        userId,
        this.layout,
        rotation.ip,
        rotation.userAgent,
      ),
    );
    return outcome === 'rotated' ? { outcome, ttlSeconds } : { outcome: outcome as 'grace' | 'reused' | 'missing' };
  }

  async isCurrentRefresh(sessionId: string, userId: string, jtiHash: string): Promise<boolean> {
    return (await this.get(sessionId, userId))?.refreshJtiHash === comparedPart(jtiHash);
  }

  async revoke(sessionId: string, userId: string): Promise<void> {
    if (layoutOf(sessionId) === 'none') return;
    await this.call(() =>
      this.redis.portcullisRevoke2(this.userKey(userId), this.v1Index(userId), this.v1Prefix(userId) + sessionId, sessionId),
    );
  }

  async revokeAll(userId: string, options: { except?: string } = {}): Promise<number> {
    return this.call(() =>
      this.overIndex<number>(userId, (keys) =>
        this.redis.portcullisRevokeAll2(keys.length, ...keys, this.v1Prefix(userId), options.except ?? '', this.nowMs()),
      ),
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

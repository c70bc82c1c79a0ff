// The SessionStore contract (src/sessions/session-store.ts), run against RedisSessionStore on the real
// Redis (when there is one) and MemorySessionStore: both must behave exactly alike.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedis, createRedisCluster, waitForRedis } from '../../src/infra/redis';
import { realRedisClusterNodes } from '../helpers/backends';
import { MemorySessionStore } from '../../src/sessions/memory-session-store';
import { RedisSessionStore } from '../../src/sessions/redis-session-store';
import { decodeV2Auth } from '../../src/sessions/session-layout';
import { digestTokenId, hashTokenId, newSessionId, type Rotation, type Session, type SessionStore } from '../../src/sessions/session-store';
import { storedUserAgent } from '../../src/sessions/user-agent';

const REFRESH_TTL = 60;
const MAX_AGE = 100;

const newUserId = (): string => `user-${randomBytes(6).toString('hex')}`;
const newHash = (): string => hashTokenId(randomBytes(16).toString('base64url'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function newSession(overrides: Partial<Session> = {}): Session {
  const now = Math.floor(Date.now() / 1000);
  return {
    id: newSessionId(),
    userId: newUserId(),
    refreshJtiHash: newHash(),
    createdAt: now,
    lastUsedAt: now,
    expiresAt: now + MAX_AGE,
    ip: '203.0.113.7',
    userAgent: 'contract-test',
    ...overrides,
  };
}

function rotationOf(session: Session, overrides: Partial<Rotation> = {}): Rotation {
  return {
    sessionId: session.id,
    userId: session.userId,
    presentedJtiHash: session.refreshJtiHash,
    nextJtiHash: newHash(),
    now: session.createdAt,
    refreshTtlSeconds: REFRESH_TTL,
    graceSeconds: 0,
    ip: '198.51.100.1',
    userAgent: 'rotating-agent',
    ...overrides,
  };
}

export function sessionStoreContract(name: string, makeStore: () => Promise<SessionStore>): void {
  describe(`${name} (SessionStore contract)`, () => {
    let store: SessionStore;
    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await store.close();
    });

    async function created(overrides: Partial<Session> = {}, ttlSeconds = REFRESH_TTL): Promise<Session> {
      const session = newSession({ id: store.newId(), ...overrides });
      await store.create(session, ttlSeconds);
      return session;
    }

    it('answers ping while reachable', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('returns a created session from get and its owner from ownerOf', async () => {
      const session = await created();

      expect(await store.get(session.id, session.userId)).toEqual(session);
      expect(await store.ownerOf(session.id, session.userId)).toBe(session.userId);
    });

    it('takes whole token digests, as the auth service passes them, and compares and gives back their first 22 characters', async () => {
      const [jti, nextJti] = [randomBytes(16).toString('base64url'), randomBytes(16).toString('base64url')];
      const session = await created({ refreshJtiHash: digestTokenId(jti) });

      expect((await store.get(session.id, session.userId))?.refreshJtiHash).toBe(hashTokenId(jti));
      expect(await store.isCurrentRefresh(session.id, session.userId, digestTokenId(jti))).toBe(true);
      const rotation = rotationOf(session, { presentedJtiHash: digestTokenId(jti), nextJtiHash: digestTokenId(nextJti) });
      expect(await store.rotate(rotation)).toEqual({ outcome: 'rotated', ttlSeconds: REFRESH_TTL });
      expect(await store.isCurrentRefresh(session.id, session.userId, digestTokenId(nextJti))).toBe(true);
      expect((await store.get(session.id, session.userId))?.refreshJtiHash).toBe(hashTokenId(nextJti));
      expect(await store.rotate(rotation)).toEqual({ outcome: 'reused' });
    });

    it('answers null from get and ownerOf for another user or an unknown session', async () => {
      const session = await created();

      expect(await store.ownerOf(session.id, newUserId())).toBeNull();
      expect(await store.get(session.id, newUserId())).toBeNull();
      expect(await store.ownerOf(newSessionId(), session.userId)).toBeNull();
      expect(await store.get(newSessionId(), session.userId)).toBeNull();
    });

    it('rotates the current token: the next hash becomes current and the session slides by the refresh ttl', async () => {
      const session = await created();
      const rotation = rotationOf(session, { now: session.createdAt + 5 });

      expect(await store.rotate(rotation)).toEqual({ outcome: 'rotated', ttlSeconds: REFRESH_TTL });

      expect(await store.get(session.id, session.userId)).toEqual({
        ...session,
        refreshJtiHash: rotation.nextJtiHash,
        lastUsedAt: rotation.now,
        ip: rotation.ip,
        userAgent: rotation.userAgent,
      });
      expect(await store.ownerOf(session.id, session.userId)).toBe(session.userId);
    });

    it('tells the current refresh token from a rotated, foreign or revoked one', async () => {
      const session = await created();
      expect(await store.isCurrentRefresh(session.id, session.userId, session.refreshJtiHash)).toBe(true);
      expect(await store.isCurrentRefresh(session.id, session.userId, newHash())).toBe(false);
      expect(await store.isCurrentRefresh(session.id, newUserId(), session.refreshJtiHash)).toBe(false);
      expect(await store.isCurrentRefresh(newSessionId(), session.userId, session.refreshJtiHash)).toBe(false);

      const rotation = rotationOf(session, { graceSeconds: 10 });
      await store.rotate(rotation);
      expect(await store.isCurrentRefresh(session.id, session.userId, session.refreshJtiHash)).toBe(false);
      expect(await store.isCurrentRefresh(session.id, session.userId, rotation.nextJtiHash)).toBe(true);
      // A read: asking about the previous token, even inside the grace window, revokes nothing.
      expect(await store.ownerOf(session.id, session.userId)).toBe(session.userId);

      await store.revoke(session.id, session.userId);
      expect(await store.isCurrentRefresh(session.id, session.userId, rotation.nextJtiHash)).toBe(false);
    });

    it('answers grace for the previous token inside the grace window and keeps the session and its current token', async () => {
      const session = await created();
      const rotation = rotationOf(session, { graceSeconds: 10 });
      await store.rotate(rotation);

      const replay = rotationOf(session, { graceSeconds: 10, now: rotation.now + 9 });
      expect(await store.rotate(replay)).toEqual({ outcome: 'grace' });

      expect((await store.get(session.id, session.userId))?.refreshJtiHash).toBe(rotation.nextJtiHash);
      expect(await store.rotate(rotationOf({ ...session, refreshJtiHash: rotation.nextJtiHash }, { now: rotation.now + 9 }))).toEqual({
        outcome: 'rotated',
        ttlSeconds: REFRESH_TTL,
      });
    });

    it('answers reused for the previous token once the grace window has passed and revokes the session', async () => {
      const session = await created();
      const rotation = rotationOf(session, { graceSeconds: 10 });
      await store.rotate(rotation);

      expect(await store.rotate(rotationOf(session, { graceSeconds: 10, now: rotation.now + 10 }))).toEqual({ outcome: 'reused' });

      expect(await store.get(session.id, session.userId)).toBeNull();
      expect(await store.ownerOf(session.id, session.userId)).toBeNull();
    });

    it('answers reused for the previous token at once when there is no grace window', async () => {
      const session = await created();
      await store.rotate(rotationOf(session));

      expect(await store.rotate(rotationOf(session))).toEqual({ outcome: 'reused' });

      expect(await store.get(session.id, session.userId)).toBeNull();
    });

    it('answers reused for a token that was never current and revokes the session', async () => {
      const session = await created();

      expect(await store.rotate(rotationOf(session, { presentedJtiHash: newHash(), graceSeconds: 10 }))).toEqual({ outcome: 'reused' });

      expect(await store.get(session.id, session.userId)).toBeNull();
    });

    it('answers missing for an unknown, revoked or another user\'s session, and leaves the real owner\'s session alone', async () => {
      const session = await created();

      expect(await store.rotate(rotationOf(session, { userId: newUserId() }))).toEqual({ outcome: 'missing' });
      expect(await store.rotate(rotationOf(session, { sessionId: newSessionId() }))).toEqual({ outcome: 'missing' });
      expect(await store.get(session.id, session.userId)).toEqual(session);

      await store.revoke(session.id, session.userId);
      expect(await store.rotate(rotationOf(session))).toEqual({ outcome: 'missing' });
    });

    it('never extends a session past its expiresAt, and answers missing once past it', async () => {
      const session = await created();
      const late = rotationOf(session, { now: session.expiresAt - 40 });

      expect(await store.rotate(late)).toEqual({ outcome: 'rotated', ttlSeconds: 40 });

      const tooLate = rotationOf({ ...session, refreshJtiHash: late.nextJtiHash }, { now: session.expiresAt });
      expect(await store.rotate(tooLate)).toEqual({ outcome: 'missing' });
      expect(await store.get(session.id, session.userId)).toBeNull();
    });

    it('revokes one session and ignores a revoke naming another user', async () => {
      const session = await created();
      const sibling = await created({ userId: session.userId });

      await store.revoke(session.id, newUserId());
      expect(await store.ownerOf(session.id, session.userId)).toBe(session.userId);

      await store.revoke(session.id, session.userId);
      expect(await store.get(session.id, session.userId)).toBeNull();
      expect(await store.ownerOf(session.id, session.userId)).toBeNull();
      expect(await store.ownerOf(sibling.id, session.userId)).toBe(session.userId);
      await expect(store.revoke(session.id, session.userId)).resolves.toBeUndefined();
    });

    it('revokes all sessions of one user, returns how many were live, and leaves other users alone', async () => {
      const userId = newUserId();
      const sessions = [await created({ userId }), await created({ userId }), await created({ userId })];
      await store.revoke(sessions[0]!.id, userId);
      const other = await created();

      expect(await store.revokeAll(userId)).toBe(2);

      for (const session of sessions) expect(await store.get(session.id, userId)).toBeNull();
      expect(await store.get(other.id, other.userId)).toEqual(other);
      expect(await store.revokeAll(userId)).toBe(0);
    });

    it('lists exactly the live sessions of one user, with their metadata, and none of another user\'s', async () => {
      const userId = newUserId();
      const first = await created({ userId, ip: '192.0.2.1', userAgent: 'agent-one' });
      const second = await created({ userId });
      const revoked = await created({ userId });
      await store.revoke(revoked.id, userId);
      const stranger = await created();
      const rotation = rotationOf(second, { now: second.createdAt + 3 });
      await store.rotate(rotation);

      const listed = await store.listByUser(userId);

      const byId = (a: Session, b: Session) => a.id.localeCompare(b.id);
      expect(listed.sort(byId)).toEqual(
        [first, { ...second, refreshJtiHash: rotation.nextJtiHash, lastUsedAt: rotation.now, ip: rotation.ip, userAgent: rotation.userAgent }].sort(byId),
      );
      expect(await store.listByUser(stranger.userId)).toEqual([stranger]);
      expect(await store.listByUser(newUserId())).toEqual([]);
    });

    it('revokes every session of a user but the one it is told to keep', async () => {
      const userId = newUserId();
      const kept = await created({ userId });
      const others = [await created({ userId }), await created({ userId })];
      const stranger = await created();

      expect(await store.revokeAll(userId, { except: kept.id })).toBe(2);

      expect(await store.listByUser(userId)).toEqual([kept]);
      for (const other of others) expect(await store.ownerOf(other.id, userId)).toBeNull();
      expect(await store.get(stranger.id, stranger.userId)).toEqual(stranger);
      expect(await store.revokeAll(userId, { except: kept.id })).toBe(0);
      expect(await store.revokeAll(userId)).toBe(1);
      expect(await store.listByUser(userId)).toEqual([]);
    });

    it('lets a session lapse after its ttl and no longer counts it as live', async () => {
      const userId = newUserId();
      const brief = await created({ userId }, 1);
      const lasting = await created({ userId });

      await sleep(1_100);

      expect(await store.get(brief.id, userId)).toBeNull();
      expect(await store.ownerOf(brief.id, userId)).toBeNull();
      expect(await store.rotate(rotationOf(brief))).toEqual({ outcome: 'missing' });
      expect(await store.listByUser(userId)).toEqual([lasting]);
      expect(await store.revokeAll(userId)).toBe(1);
      expect(await store.get(lasting.id, userId)).toBeNull();
    });

    it('lets exactly one of 20 concurrent rotations with one presented token rotate; without grace the rest revoke the session', async () => {
      const session = await created();

      const results = await Promise.all(Array.from({ length: 20 }, () => store.rotate(rotationOf(session))));

      expect(results.filter((result) => result.outcome === 'rotated')).toHaveLength(1);
      for (const result of results.filter((candidate) => candidate.outcome !== 'rotated')) {
        expect(['reused', 'missing']).toContain(result.outcome);
      }
      expect(results.filter((result) => result.outcome === 'reused').length).toBeGreaterThanOrEqual(1);
      expect(await store.get(session.id, session.userId)).toBeNull();
    });

    it('revokes every session a user had when revokeAll began, even with new sessions being created meanwhile', async () => {
      const userId = newUserId();
      const before = await Promise.all(Array.from({ length: 5 }, () => created({ userId })));
      const during = Array.from({ length: 10 }, () => newSession({ id: store.newId(), userId }));

      const [revoked] = await Promise.all([store.revokeAll(userId), ...during.map((session) => store.create(session, REFRESH_TTL))]);

      expect(revoked).toBeGreaterThanOrEqual(5);
      for (const session of before) expect(await store.get(session.id, userId)).toBeNull();
      const listed = await store.listByUser(userId);
      expect(listed.length).toBe(15 - revoked);
      for (const session of listed) expect(during.map((one) => one.id)).toContain(session.id);
    });

    it('lets exactly one of 20 concurrent rotations rotate; inside a grace window the rest answer grace and the winner keeps the session', async () => {
      const session = await created();
      const rotations = Array.from({ length: 20 }, () => rotationOf(session, { graceSeconds: 10 }));

      const results = await Promise.all(rotations.map((rotation) => store.rotate(rotation)));

      const winner = results.findIndex((result) => result.outcome === 'rotated');
      expect(winner).toBeGreaterThanOrEqual(0);
      expect(results.filter((result) => result.outcome === 'grace')).toHaveLength(19);
      expect((await store.get(session.id, session.userId))?.refreshJtiHash).toBe(rotations[winner]!.nextJtiHash);
    });
  });
}

const redisUrl = process.env.PORTCULLIS_TEST_REDIS;
const clusterNodes = realRedisClusterNodes();
const redisPrefix = `portcullis-test:contract-${randomBytes(6).toString('hex')}:`;

async function connectedRedis(url: string): Promise<Redis> {
  const redis = createRedis(url);
  if (!(await waitForRedis(redis, 5_000))) throw new Error(`Redis at ${url} did not answer`);
  return redis;
}

sessionStoreContract('MemorySessionStore', async () => new MemorySessionStore());

if (clusterNodes) {
  // The third target: a real Redis Cluster (three masters, three replicas; `npm run cluster:up`).
  sessionStoreContract('RedisSessionStore on Redis Cluster', async () => {
    const cluster = createRedisCluster(clusterNodes.split(',').map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })));
    if (!(await waitForRedis(cluster, 5_000))) throw new Error(`Redis Cluster at ${clusterNodes} did not answer`);
    return new RedisSessionStore(cluster, redisPrefix);
  });
  sessionStoreContract('RedisSessionStore writing layout v1 on Redis Cluster', async () => {
    const cluster = createRedisCluster(clusterNodes.split(',').map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })));
    if (!(await waitForRedis(cluster, 5_000))) throw new Error(`Redis Cluster at ${clusterNodes} did not answer`);
    return new RedisSessionStore(cluster, redisPrefix, { layout: 'v1' });
  });
} else {
  it.skip('RedisSessionStore on Redis Cluster (SessionStore contract): no cluster running, start one with npm run cluster:up', () => undefined);
}

if (redisUrl) {
  sessionStoreContract('RedisSessionStore', async () => new RedisSessionStore(await connectedRedis(redisUrl), redisPrefix));
  // SESSION_LAYOUT=v1, the first step of a rolling upgrade: new sessions in the previous release's layout.
  sessionStoreContract('RedisSessionStore writing layout v1', async () =>
    new RedisSessionStore(await connectedRedis(redisUrl), redisPrefix, { layout: 'v1' }),
  );

  /** The Redis Cluster key slot: CRC16/XMODEM of the hash tag (or the whole key) modulo 16384. */
  function keySlot(key: string): number {
    const open = key.indexOf('{');
    const close = open === -1 ? -1 : key.indexOf('}', open + 1);
    const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
    let crc = 0;
    for (const byte of Buffer.from(hashed, 'utf8')) {
      crc ^= byte << 8;
      for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    return crc % 16384;
  }

  describe('RedisSessionStore key layout', () => {
    let redis: Redis;
    let store: RedisSessionStore;
    beforeAll(async () => {
      redis = await connectedRedis(redisUrl);
      store = new RedisSessionStore(await connectedRedis(redisUrl), redisPrefix);
    });
    afterAll(async () => {
      const keys = await redis.keys(`${redisPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await store.close();
      await redis.quit();
    });

    it('keeps every session of one user in one hash under the user\'s hash tag, so that its scripts touch a single Cluster slot', async () => {
      expect(keySlot('123456789')).toBe(12739); // the CRC16 check value from the Redis Cluster specification
      const userId = newUserId();
      const first = newSession({ userId });
      const second = newSession({ userId });
      await store.create(first, REFRESH_TTL);
      await store.create(second, REFRESH_TTL);
      await store.rotate(rotationOf(first));

      const keys = await redis.keys(`${redisPrefix}*${userId}*`);

      expect(keys).toEqual([`${redisPrefix}{${userId}}:s2`]);
      expect(keySlot(keys[0]!)).toBe(keySlot(`{${userId}}`));
      expect(await redis.hlen(keys[0]!)).toBe(4); // two fields a session
    });

    it('stays in the compact listpack encoding with a real 111-character user agent and an IPv6 address', async () => {
      const userId = newUserId();
      const userAgent = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
      const session = newSession({ userId, userAgent, ip: '2001:db8:85a3::8a2e:370:7334' });
      await store.create(session, REFRESH_TTL);
      await store.rotate(rotationOf(session, { userAgent, now: session.createdAt + 5 }));

      const key = `${redisPrefix}{${userId}}:s2`;
      expect(await redis.object('ENCODING', key)).toBe('listpack');
      for (const value of Object.values(await redis.hgetall(key))) expect(Buffer.byteLength(value)).toBeLessThanOrEqual(64);
      expect((await store.get(session.id, userId))?.userAgent).toBe(storedUserAgent(userAgent));
    });

    it('gives the user\'s hash a TTL that covers its longest-living session, and slides a session\'s lapse with each rotation', async () => {
      const userId = newUserId();
      const brief = newSession({ userId });
      const session = newSession({ userId });
      await store.create(brief, 10);
      await store.create(session, REFRESH_TTL);
      const key = `${redisPrefix}{${userId}}:s2`;
      expect(await redis.ttl(key)).toBeGreaterThan(REFRESH_TTL - 5);
      const lapse = async () => (decodeV2Auth((await redis.hget(key, session.id))!)!.lapsesAtMs - Date.now()) / 1000;
      expect(await lapse()).toBeGreaterThan(REFRESH_TTL - 5);

      await store.rotate(rotationOf(session, { now: session.expiresAt - 30 }));

      expect(await lapse()).toBeGreaterThan(25);
      expect(await lapse()).toBeLessThanOrEqual(30);
      expect(await redis.ttl(key)).toBeGreaterThan(REFRESH_TTL - 5); // still covers the other session
    });
  });
}

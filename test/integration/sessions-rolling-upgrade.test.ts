// A rolling upgrade from the release before session layout v2 signs no one out (docs/operations.md):
// step 1 runs this release with SESSION_LAYOUT=v1 beside instances of the previous release, whose session
// store (test/helpers/previous-release/) runs here on the same Redis prefix; step 2 switches to v2 while
// instances with v1 still run. Every session must work wherever the load balancer sends it.
import jwt from 'jsonwebtoken';
import { Redis } from 'ioredis';
import { newTokenId, TokenService } from '../../src/auth/tokens';
import { codeOf, logIn, newAccount, sessionIdOf, type Account } from '../helpers/accounts';
import { LOGOUT, ME, REFRESH } from '../helpers/graphql';
import { RedisSessionStore as PreviousReleaseStore } from '../helpers/previous-release/redis-session-store';
import { hashTokenId as previousHash, newSessionId as previousSessionId } from '../helpers/previous-release/session-store';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const LIMITS = { RATE_LIMIT_REGISTER_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000', RATE_LIMIT_REFRESH_PER_IP: '1000' };
const SESSIONS = /* GraphQL */ `
  query Sessions { sessions { id current } }
`;
const REVOKE_SESSION = /* GraphQL */ `
  mutation RevokeSession($id: ID!) { revokeSession(id: $id) }
`;

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

const redisUrl = process.env.PORTCULLIS_TEST_REDIS;
const describeWithRedis = redisUrl ? describe : describe.skip;
const jtiOf = (token: string): string => (jwt.decode(token) as { jti: string }).jti;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describeWithRedis('a rolling upgrade from the previous release (SESSION_LAYOUT=v1, then v2)', () => {
  let v1: TestServer;
  let v2: TestServer;
  let previous: PreviousReleaseStore;
  let redis: Redis;
  let tokens: TokenService;
  beforeAll(async () => {
    v1 = await createTestServer({ env: { ...LIMITS, SESSION_LAYOUT: 'v1' } });
    v2 = await createTestServer({ shareWith: v1, env: { SESSION_LAYOUT: 'v2' } });
    redis = new Redis(v1.config.redisUrl!);
    previous = new PreviousReleaseStore(new Redis(v1.config.redisUrl!), v1.config.redisKeyPrefix);
    tokens = new TokenService(v1.keys, v1.config.jwt);
  });
  afterAll(async () => {
    await previous.close();
    await redis.quit();
    await v2.close();
    await v1.close();
    await releaseTestResources();
  });

  const key = (userId: string, suffix: string) => `${v1.config.redisKeyPrefix}{${userId}}:${suffix}`;

  async function refresh(server: TestServer, refreshToken: string): Promise<Tokens> {
    const response = await server.gql(REFRESH, { refreshToken });
    if (!response.data?.refresh) throw new Error(`refresh failed: ${response.text}`);
    return response.data.refresh as Tokens;
  }

  /** Rotates a session as an instance of the previous release does, and returns its new refresh token. */
  async function refreshOnPreviousRelease(userId: string, refreshToken: string): Promise<{ outcome: string; refreshToken: string }> {
    const sid = sessionIdOf(refreshToken);
    const nextJti = newTokenId();
    const now = nowSeconds();
    const ttlSeconds = v1.config.jwt.refreshTokenTtl.seconds;
    const rotation = await previous.rotate({
      sessionId: sid, userId, presentedJtiHash: previousHash(jtiOf(refreshToken)), nextJtiHash: previousHash(nextJti),
      now, refreshTtlSeconds: ttlSeconds, graceSeconds: 0, ip: '198.51.100.9', userAgent: 'previous-release',
    });
    return { outcome: rotation.outcome, refreshToken: tokens.signRefresh({ sub: userId, sid }, now + ttlSeconds, nextJti).token };
  }

  const isSignedIn = async (server: TestServer, accessToken: string) => (await server.gql(ME, {}, { token: accessToken })).data?.me !== undefined;

  it('writes, with SESSION_LAYOUT=v1, the same keys and fields as the previous release', async () => {
    const account = await newAccount(v1);
    const sid = sessionIdOf(account.accessToken);
    const ours = await redis.hgetall(key(account.id, `s:${sid}`));
    const theirs = { id: previousSessionId(), jti: newTokenId() };
    const now = nowSeconds();
    await previous.create(
      { id: theirs.id, userId: account.id, refreshJtiHash: previousHash(theirs.jti), createdAt: now, lastUsedAt: now, expiresAt: now + 60, ip: '127.0.0.1', userAgent: 'x' },
      60,
    );

    expect(sid).toHaveLength(theirs.id.length);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(await redis.hgetall(key(account.id, `s:${theirs.id}`))).sort());
    expect(ours.rt).toBe(previousHash(jtiOf(account.refreshToken))); // the whole SHA-256, as the previous release compares it
    expect((await redis.smembers(key(account.id, 'sessions'))).sort()).toEqual([sid, theirs.id].sort());
    expect(await redis.ttl(key(account.id, `s:${sid}`))).toBeGreaterThan(0);
    expect(await redis.exists(key(account.id, 's2'))).toBe(0);
  });

  it('lets the previous release find and refresh a session that SESSION_LAYOUT=v1 created and refreshed, and then the new release again', async () => {
    const account = await newAccount(v1);
    const sid = sessionIdOf(account.accessToken);
    const refreshed = await refresh(v1, account.refreshToken);

    expect(await previous.ownerOf(sid, account.id)).toBe(account.id);
    expect(await previous.isCurrentRefresh(sid, account.id, previousHash(jtiOf(refreshed.refreshToken)))).toBe(true);
    expect((await previous.listByUser(account.id)).map((session) => session.id)).toEqual([sid]);
    const onPrevious = await refreshOnPreviousRelease(account.id, refreshed.refreshToken);
    expect(onPrevious.outcome).toBe('rotated');

    const back = await refresh(v1, onPrevious.refreshToken);
    expect(await isSignedIn(v1, back.accessToken)).toBe(true);
    expect(await previous.ownerOf(sid, account.id)).toBe(account.id);
    expect(await previous.isCurrentRefresh(sid, account.id, previousHash(jtiOf(back.refreshToken)))).toBe(true);
    expect(await redis.hexists(key(account.id, 's2'), sid)).toBe(0); // still v1
  });

  it('revokes, with SESSION_LAYOUT=v1, a session whose rotated refresh token is replayed, whichever release rotated it', async () => {
    const first = await newAccount(v1);
    const rotatedHere = await refresh(v1, first.refreshToken);
    expect(codeOf(await v1.gql(REFRESH, { refreshToken: first.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(await isSignedIn(v1, rotatedHere.accessToken)).toBe(false);
    expect(await previous.ownerOf(sessionIdOf(first.accessToken), first.id)).toBeNull();

    const second = await newAccount(v1);
    expect((await refreshOnPreviousRelease(second.id, second.refreshToken)).outcome).toBe('rotated');
    expect(codeOf(await v1.gql(REFRESH, { refreshToken: second.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(await isSignedIn(v1, second.accessToken)).toBe(false);
    expect(await previous.ownerOf(sessionIdOf(second.accessToken), second.id)).toBeNull();

    const third = await newAccount(v1);
    const rotatedByUs = await refresh(v1, third.refreshToken);
    expect((await refreshOnPreviousRelease(third.id, third.refreshToken)).outcome).toBe('reused');
    expect(await isSignedIn(v1, rotatedByUs.accessToken)).toBe(false);
  });

  it('lists, revokes and logs out of all sessions across a mix of the previous release\'s, v1 and v2 sessions', async () => {
    const account: Account = await newAccount(v1);
    const viaV2 = await logIn(v2, account);
    const theirs = { id: previousSessionId(), jti: newTokenId() };
    const now = nowSeconds();
    await previous.create(
      { id: theirs.id, userId: account.id, refreshJtiHash: previousHash(theirs.jti), createdAt: now, lastUsedAt: now, expiresAt: now + 600, ip: '127.0.0.1', userAgent: 'x' },
      600,
    );
    const theirAccess = tokens.signAccess({ sub: account.id, sid: theirs.id, role: 'USER' }).token;
    const spare = await logIn(v1, account);
    const all = [account, viaV2, spare].map((one) => sessionIdOf(one.accessToken)).concat(theirs.id).sort();

    for (const server of [v1, v2]) {
      const listed = await server.gql(SESSIONS, {}, { token: account.accessToken });
      expect((listed.data!.sessions as { id: string }[]).map((session) => session.id).sort()).toEqual(all);
    }
    expect(await isSignedIn(v2, theirAccess)).toBe(true);

    expect((await v1.gql(REVOKE_SESSION, { id: theirs.id }, { token: viaV2.accessToken })).data?.revokeSession).toBe(true);
    expect(await previous.ownerOf(theirs.id, account.id)).toBeNull();
    expect((await v2.gql(REVOKE_SESSION, { id: sessionIdOf(spare.accessToken) }, { token: viaV2.accessToken })).data?.revokeSession).toBe(true);
    expect(await previous.ownerOf(sessionIdOf(spare.accessToken), account.id)).toBeNull();

    expect((await v1.gql(LOGOUT, { allSessions: true }, { token: viaV2.accessToken })).data?.logout).toBe(true);
    for (const one of [account, viaV2, spare]) {
      for (const server of [v1, v2]) expect(codeOf(await server.gql(ME, {}, { token: one.accessToken }))).toBe('UNAUTHENTICATED');
    }
    expect(await previous.listByUser(account.id)).toEqual([]);
    expect(await redis.exists(key(account.id, 's2'), key(account.id, 'sessions'))).toBe(0);
  });

  it('signs no one out when instances switch from v1 to v2 (and back): each one reads and refreshes the other\'s sessions', async () => {
    const account = await newAccount(v1);
    const migrated = await refresh(v2, account.refreshToken); // a v1 session, moved into v2 by a v2 instance
    expect(await redis.hexists(key(account.id, 's2'), sessionIdOf(account.accessToken))).toBe(1);
    const backOnV1 = await refresh(v1, migrated.refreshToken);
    expect(await isSignedIn(v1, backOnV1.accessToken)).toBe(true);
    expect(await isSignedIn(v2, (await refresh(v2, backOnV1.refreshToken)).accessToken)).toBe(true);

    const fromV2 = await logIn(v2, account); // a v2 session, used by an instance still on v1
    expect(await isSignedIn(v1, fromV2.accessToken)).toBe(true);
    const rotatedOnV1 = await refresh(v1, fromV2.refreshToken);
    expect(await isSignedIn(v1, rotatedOnV1.accessToken)).toBe(true);
    const rotatedOnV2 = await refresh(v2, rotatedOnV1.refreshToken);
    expect(await isSignedIn(v2, rotatedOnV2.accessToken)).toBe(true);
    expect(codeOf(await v1.gql(REFRESH, { refreshToken: fromV2.refreshToken }))).toBe('UNAUTHENTICATED'); // replay still revokes
    expect(await isSignedIn(v2, rotatedOnV2.accessToken)).toBe(false);
  });
});

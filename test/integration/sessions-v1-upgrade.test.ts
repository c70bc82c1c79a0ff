// Upgrading to session layout v2 signs no one out: sessions written by the previous release (raw Redis
// contents in test/fixtures/sessions-v1.json) keep working through the API until they lapse or are
// rotated into v2, alone or beside v2 sessions of the same user.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { TokenService } from '../../src/auth/tokens';
import { codeOf, logIn, newAccount, sessionIdOf, type Account } from '../helpers/accounts';
import { LOGOUT, ME, REFRESH } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

interface Fixture {
  t0: number;
  sessions: { name: 'fresh' | 'rotated' | 'spare'; sid: string; currentJti: string; previousJtis: string[] }[];
  keys: { key: string; type: 'hash' | 'set'; ttl: number; value: Record<string, string> | string[] }[];
}
const fixture = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/sessions-v1.json'), 'utf8')) as Fixture;

const LIMITS = { RATE_LIMIT_REGISTER_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000', RATE_LIMIT_REFRESH_PER_IP: '1000' };
const SESSIONS = /* GraphQL */ `
  query Sessions { sessions { id current ip userAgent { raw browser os description } } }
`;
const REVOKE_SESSION = /* GraphQL */ `
  mutation RevokeSession($id: ID!) { revokeSession(id: $id) }
`;
const TIME_FIELDS = new Set(['c', 'l', 'x', 'rat']);

const redisUrl = process.env.PORTCULLIS_TEST_REDIS;
const describeWithRedis = redisUrl ? describe : describe.skip;

interface V1Session {
  sid: string;
  accessToken: string;
  refreshToken: string;
  previousRefreshToken?: string;
}

describeWithRedis('sessions written by the previous release (layout v1)', () => {
  let server: TestServer;
  let redis: Redis;
  let tokens: TokenService;
  beforeAll(async () => {
    server = await createTestServer({ env: LIMITS });
    redis = new Redis(server.config.redisUrl!);
    tokens = new TokenService(server.keys, server.config.jwt);
  });
  afterAll(async () => {
    await redis.quit();
    await server.close();
    await releaseTestResources();
  });

  const prefix = (userId: string) => `${server.config.redisKeyPrefix}{${userId}}`;

  /** Writes the fixture's keys for this user as the previous release left them, created an hour ago. */
  async function loadV1(userId: string): Promise<Record<Fixture['sessions'][number]['name'], V1Session>> {
    const now = Math.floor(Date.now() / 1000);
    const shift = now - 3_600 - fixture.t0;
    for (const { key, type, ttl, value } of fixture.keys) {
      const name = server.config.redisKeyPrefix + key.replaceAll('$USER', userId);
      if (type === 'set') await redis.sadd(name, ...(value as string[]));
      else {
        const fields = Object.entries(value as Record<string, string>).map(([field, text]) => [
          field,
          TIME_FIELDS.has(field) ? String(Number(text) + shift) : text.replaceAll('$USER', userId),
        ]);
        await redis.hset(name, Object.fromEntries(fields));
      }
      await redis.expire(name, ttl);
    }
    const sessions = {} as Record<Fixture['sessions'][number]['name'], V1Session>;
    for (const { name, sid, currentJti, previousJtis } of fixture.sessions) {
      const refresh = (jti: string) => tokens.signRefresh({ sub: userId, sid }, now + 3_600, jti).token;
      sessions[name] = {
        sid,
        accessToken: tokens.signAccess({ sub: userId, sid, role: 'USER' }).token,
        refreshToken: refresh(currentJti),
        previousRefreshToken: previousJtis[0] ? refresh(previousJtis[0]) : undefined,
      };
    }
    return sessions;
  }

  const v1KeyExists = async (userId: string, sid: string) => (await redis.exists(`${prefix(userId)}:s:${sid}`)) === 1;
  const v2FieldExists = async (userId: string, sid: string) => (await redis.hexists(`${prefix(userId)}:s2`, sid)) === 1;

  it('answers me and lists them beside the v2 sessions of the same user, with their parsed user agents', async () => {
    const account = await newAccount(server);
    const v1 = await loadV1(account.id);

    expect((await server.gql(ME, {}, { token: v1.fresh.accessToken })).data?.me).toMatchObject({ id: account.id });
    const listed = await server.gql(SESSIONS, {}, { token: v1.fresh.accessToken });

    expect(listed.errors).toBeUndefined();
    const byId = new Map((listed.data!.sessions as { id: string }[]).map((session) => [session.id, session]));
    expect([...byId.keys()].sort()).toEqual([sessionIdOf(account.accessToken), v1.fresh.sid, v1.rotated.sid, v1.spare.sid].sort());
    expect(byId.get(v1.fresh.sid)).toMatchObject({
      current: true,
      ip: '203.0.113.7',
      userAgent: { raw: expect.stringContaining('Chrome/131.0.0.0'), browser: 'Chrome 131', os: 'Mac OS 10.15.7', description: 'Chrome 131 on Mac OS 10.15.7' },
    });
    expect(byId.get(v1.rotated.sid)).toMatchObject({ current: false, ip: '2001:db8::1', userAgent: { description: 'Firefox 128 on Windows 10' } });
    expect(byId.get(sessionIdOf(account.accessToken))).toMatchObject({ current: false });
  });

  it('rotates a v1 session into v2 on refresh, under the same id, and refuses its old refresh token afterwards', async () => {
    const account = await newAccount(server);
    const v1 = await loadV1(account.id);

    const refreshed = await server.gql(REFRESH, { refreshToken: v1.fresh.refreshToken });

    expect(refreshed.errors).toBeUndefined();
    const next = refreshed.data!.refresh as { accessToken: string; refreshToken: string };
    expect(sessionIdOf(next.accessToken)).toBe(v1.fresh.sid);
    expect(await v1KeyExists(account.id, v1.fresh.sid)).toBe(false);
    expect(await v2FieldExists(account.id, v1.fresh.sid)).toBe(true);
    expect(await redis.sismember(`${prefix(account.id)}:sessions`, v1.fresh.sid)).toBe(0);
    expect((await server.gql(ME, {}, { token: next.accessToken })).data?.me).toMatchObject({ id: account.id });
    expect((await server.gql(ME, {}, { token: v1.fresh.accessToken })).data?.me).toMatchObject({ id: account.id }); // same session

    // Replaying the v1 refresh token after the rotation is reuse: the session (now in v2) is revoked.
    expect(codeOf(await server.gql(REFRESH, { refreshToken: v1.fresh.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await server.gql(ME, {}, { token: next.accessToken }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await server.gql(REFRESH, { refreshToken: next.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(await v2FieldExists(account.id, v1.fresh.sid)).toBe(false);
    expect((await server.gql(ME, {}, { token: v1.spare.accessToken })).data?.me).toMatchObject({ id: account.id }); // others untouched
  });

  it('revokes a v1 session whose earlier refresh token (rotated by the previous release) is presented again', async () => {
    const account = await newAccount(server);
    const v1 = await loadV1(account.id);

    expect(codeOf(await server.gql(REFRESH, { refreshToken: v1.rotated.previousRefreshToken }))).toBe('UNAUTHENTICATED');

    expect(await v1KeyExists(account.id, v1.rotated.sid)).toBe(false);
    expect(codeOf(await server.gql(ME, {}, { token: v1.rotated.accessToken }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await server.gql(REFRESH, { refreshToken: v1.rotated.refreshToken }))).toBe('UNAUTHENTICATED');
    expect((await server.gql(ME, {}, { token: v1.fresh.accessToken })).data?.me).toMatchObject({ id: account.id });
  });

  it('ends a v1 session by revokeSession and by logout, and leaves the others alone', async () => {
    const account = await newAccount(server);
    const v1 = await loadV1(account.id);

    expect((await server.gql(REVOKE_SESSION, { id: v1.spare.sid }, { token: account.accessToken })).data?.revokeSession).toBe(true);
    expect(codeOf(await server.gql(ME, {}, { token: v1.spare.accessToken }))).toBe('UNAUTHENTICATED');
    expect(await v1KeyExists(account.id, v1.spare.sid)).toBe(false);

    expect((await server.gql(LOGOUT, {}, { token: v1.fresh.accessToken })).data?.logout).toBe(true);
    expect(codeOf(await server.gql(ME, {}, { token: v1.fresh.accessToken }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await server.gql(REFRESH, { refreshToken: v1.fresh.refreshToken }))).toBe('UNAUTHENTICATED');

    expect((await server.gql(ME, {}, { token: v1.rotated.accessToken })).data?.me).toMatchObject({ id: account.id });
    expect((await server.gql(ME, {}, { token: account.accessToken })).data?.me).toMatchObject({ id: account.id });
  });

  it('ends every session of a mixed user (v1, v1 rotated into v2, and v2) with logout allSessions, and no other user\'s', async () => {
    const account: Account = await newAccount(server);
    const second = await logIn(server, account);
    const v1 = await loadV1(account.id);
    const migrated = (await server.gql(REFRESH, { refreshToken: v1.rotated.refreshToken })).data!.refresh as { accessToken: string };
    const stranger = await newAccount(server);
    const strangerV1 = await loadV1(stranger.id);

    expect((await server.gql(LOGOUT, { allSessions: true }, { token: second.accessToken })).data?.logout).toBe(true);

    for (const token of [account.accessToken, second.accessToken, migrated.accessToken, v1.fresh.accessToken, v1.spare.accessToken]) {
      expect(codeOf(await server.gql(ME, {}, { token }))).toBe('UNAUTHENTICATED');
    }
    expect(await redis.exists(`${prefix(account.id)}:s2`, `${prefix(account.id)}:sessions`, `${prefix(account.id)}:s:${v1.fresh.sid}`)).toBe(0);
    expect((await server.gql(ME, {}, { token: stranger.accessToken })).data?.me).toMatchObject({ id: stranger.id });
    expect((await server.gql(ME, {}, { token: strangerV1.fresh.accessToken })).data?.me).toMatchObject({ id: stranger.id });
  });
});

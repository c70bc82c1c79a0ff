// Refresh-token rotation (SPEC §6, §7): rotation, reuse detection, races, grace, cookies, storage, lifetimes.
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import { decodeV2Auth } from '../../src/sessions/session-layout';
import { hashTokenId } from '../../src/sessions/session-store';
import { ME, REFRESH, REGISTER, newUser, registerUser, type GraphQLResponse } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

// Generous limits: this file registers many users from one IP and is not about abuse limits.
const LIMITS = { RATE_LIMIT_REGISTER_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_IP: '1000' };

interface RefreshClaims {
  sub: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
}

function claimsOf(token: string): RefreshClaims {
  const payload = jwt.decode(token);
  if (payload === null || typeof payload === 'string') throw new Error(`not a JWT: ${token}`);
  return payload as RefreshClaims;
}

const codeOf = (response: GraphQLResponse): unknown => response.errors?.[0]?.extensions?.code;

interface Payload {
  accessToken: string;
  refreshToken: string | null;
  tokenType: string;
  expiresIn: number;
  user: { id: string; email: string };
}

const payloadOf = (response: GraphQLResponse): Payload => {
  const payload = response.data?.refresh ?? response.data?.register;
  if (!payload) throw new Error(`no AuthPayload: ${response.text}`);
  return payload as Payload;
};

/** Asserts that the response refused the refresh with UNAUTHENTICATED and issued nothing. */
function expectRefused(response: GraphQLResponse): void {
  expect(response.status).toBe(200);
  expect(codeOf(response)).toBe('UNAUTHENTICATED');
  expect(response.data).toBeNull();
  expect(response.cookies.access_token).toBeUndefined();
  expect(response.cookies.refresh_token).toBeUndefined();
}

let server: TestServer;
const extraServers: TestServer[] = [];
let redis: Redis | undefined;

async function startServer(options: Parameters<typeof createTestServer>[0] = {}): Promise<TestServer> {
  const started = await createTestServer({ ...options, env: { ...LIMITS, ...options.env } });
  extraServers.push(started);
  return started;
}

beforeAll(async () => {
  server = await createTestServer({ env: LIMITS });
  if (server.config.redisUrl) redis = new Redis(server.config.redisUrl);
});
afterAll(async () => {
  await redis?.quit();
  for (const extra of extraServers) await extra.close();
  await server.close();
  await releaseTestResources();
});

describe('refresh', () => {
  it('rotates both tokens with new ids while keeping the session, and the new refresh token works next', async () => {
    const session = await registerUser(server);

    const first = await server.gql(REFRESH, { refreshToken: session.refreshToken });

    expect(first.status).toBe(200);
    expect(first.errors).toBeUndefined();
    const rotated = payloadOf(first);
    expect(rotated).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { id: session.user.id, email: session.input.email } });
    expect(rotated.accessToken).not.toBe(session.accessToken);
    expect(rotated.refreshToken).not.toBe(session.refreshToken);
    const before = claimsOf(session.refreshToken);
    const after = claimsOf(rotated.refreshToken!);
    expect(after.jti).not.toBe(before.jti);
    expect(after.sid).toBe(before.sid);
    expect(after.sub).toBe(session.user.id);
    expect(claimsOf(rotated.accessToken).jti).not.toBe(claimsOf(session.accessToken).jti);
    expect(claimsOf(rotated.accessToken).sid).toBe(before.sid);

    // The session itself was not replaced, so the access token issued before the rotation still works.
    const meWithOldAccess = await server.gql(ME, {}, { token: session.accessToken });
    expect(meWithOldAccess.data?.me).toMatchObject({ id: session.user.id });
    const meWithNewAccess = await server.gql(ME, {}, { token: rotated.accessToken });
    expect(meWithNewAccess.data?.me).toMatchObject({ id: session.user.id });

    const second = await server.gql(REFRESH, { refreshToken: rotated.refreshToken });
    expect(second.errors).toBeUndefined();
    expect(claimsOf(payloadOf(second).refreshToken!).sid).toBe(before.sid);
  });

  it('rejects a refresh token that was already rotated and revokes its whole session', async () => {
    const session = await registerUser(server);
    const rotated = payloadOf(await server.gql(REFRESH, { refreshToken: session.refreshToken }));

    const replay = await server.gql(REFRESH, { refreshToken: session.refreshToken });

    expectRefused(replay);
    const { sid, sub } = claimsOf(session.refreshToken);
    expect(await server.sessions.get(sid, sub)).toBeNull();
    for (const token of [rotated.accessToken, session.accessToken]) {
      const me = await server.gql(ME, {}, { token });
      expect(codeOf(me)).toBe('UNAUTHENTICATED');
      expect(me.data).toBeNull();
    }
    expectRefused(await server.gql(REFRESH, { refreshToken: rotated.refreshToken }));
  });

  it('lets at most one of 20 concurrent refreshes with one token succeed, answers none with 5xx, and treats the losers as reuse', async () => {
    const session = await registerUser(server);

    const responses = await Promise.all(
      Array.from({ length: 20 }, () => server.gql(REFRESH, { refreshToken: session.refreshToken })),
    );

    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    const winners = responses.filter((response) => response.errors === undefined);
    const losers = responses.filter((response) => response.errors !== undefined);
    expect(winners.length).toBeLessThanOrEqual(1);
    expect(winners.length + losers.length).toBe(20);
    for (const loser of losers) expectRefused(loser);

    // With no grace window a loser is a replay of a rotated token: the session is gone, winner's tokens included.
    const { sid, sub } = claimsOf(session.refreshToken);
    expect(await server.sessions.get(sid, sub)).toBeNull();
    for (const winner of winners) {
      expectRefused(await server.gql(REFRESH, { refreshToken: payloadOf(winner).refreshToken }));
      expect(codeOf(await server.gql(ME, {}, { token: payloadOf(winner).accessToken }))).toBe('UNAUTHENTICATED');
    }
  });

  describe('with REFRESH_REUSE_GRACE=10s', () => {
    let graceServer: TestServer;
    let now = Math.floor(Date.now() / 1000);
    beforeAll(async () => {
      graceServer = await startServer({ env: { REFRESH_REUSE_GRACE: '10s' }, clock: () => now });
    });

    it('refuses the previous token right after a rotation without revoking the session or issuing tokens', async () => {
      const session = await registerUser(graceServer);
      const winner = payloadOf(await graceServer.gql(REFRESH, { refreshToken: session.refreshToken }));

      now += 9;
      const loser = await graceServer.gql(REFRESH, { refreshToken: session.refreshToken });

      expectRefused(loser);
      expect(loser.cookies.logged_in).toBeUndefined();
      const me = await graceServer.gql(ME, {}, { token: winner.accessToken });
      expect(me.data?.me).toMatchObject({ id: session.user.id });
      const next = await graceServer.gql(REFRESH, { refreshToken: winner.refreshToken });
      expect(next.errors).toBeUndefined();
      expect(claimsOf(payloadOf(next).refreshToken!).sid).toBe(claimsOf(session.refreshToken).sid);
    });

    it('lets exactly one of 20 concurrent refreshes succeed and keeps the session for the winner', async () => {
      const session = await registerUser(graceServer);

      const responses = await Promise.all(
        Array.from({ length: 20 }, () => graceServer.gql(REFRESH, { refreshToken: session.refreshToken })),
      );

      expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
      const winners = responses.filter((response) => response.errors === undefined);
      expect(winners).toHaveLength(1);
      for (const loser of responses.filter((response) => response.errors !== undefined)) expectRefused(loser);
      const next = await graceServer.gql(REFRESH, { refreshToken: payloadOf(winners[0]!).refreshToken });
      expect(next.errors).toBeUndefined();
    });

    it('treats the previous token as reuse once the grace window has passed and revokes the session', async () => {
      const session = await registerUser(graceServer);
      const winner = payloadOf(await graceServer.gql(REFRESH, { refreshToken: session.refreshToken }));

      now += 10;
      const late = await graceServer.gql(REFRESH, { refreshToken: session.refreshToken });

      expectRefused(late);
      expect(codeOf(await graceServer.gql(ME, {}, { token: winner.accessToken }))).toBe('UNAUTHENTICATED');
      expectRefused(await graceServer.gql(REFRESH, { refreshToken: winner.refreshToken }));
    });

    it('treats a token older than the previous one as reuse even inside the grace window', async () => {
      const session = await registerUser(graceServer);
      const second = payloadOf(await graceServer.gql(REFRESH, { refreshToken: session.refreshToken }));
      const third = payloadOf(await graceServer.gql(REFRESH, { refreshToken: second.refreshToken }));

      const replay = await graceServer.gql(REFRESH, { refreshToken: session.refreshToken });

      expectRefused(replay);
      expectRefused(await graceServer.gql(REFRESH, { refreshToken: third.refreshToken }));
    });
  });

  it('rotates the refresh_token cookie when no argument is given', async () => {
    const session = await registerUser(server);

    const response = await server.gql(REFRESH, {}, { cookies: { refresh_token: session.refreshToken } });

    expect(response.errors).toBeUndefined();
    const rotated = payloadOf(response);
    expect(claimsOf(rotated.refreshToken!).sid).toBe(claimsOf(session.refreshToken).sid);
    expect(response.cookies.refresh_token?.value).toBe(rotated.refreshToken);
    // The cookie's token is now the rotated one: presenting it again is reuse.
    expectRefused(await server.gql(REFRESH, {}, { cookies: { refresh_token: session.refreshToken } }));
  });

  it('answers UNAUTHENTICATED when neither an argument nor a refresh_token cookie is given', async () => {
    const response = await server.gql(REFRESH, {});

    expectRefused(response);
    expect(response.cookies.logged_in).toBeUndefined();
  });

  it('works with a stale access cookie present', async () => {
    const session = await registerUser(server);

    const response = await server.gql(
      REFRESH,
      { refreshToken: session.refreshToken },
      { cookies: { access_token: 'not-a-token', refresh_token: 'also-not-a-token' } },
    );

    expect(response.errors).toBeUndefined();
    expect(payloadOf(response).user.id).toBe(session.user.id);
  });

  it('refuses an access token presented as a refresh token and a refresh token presented as an access token', async () => {
    const session = await registerUser(server);

    expectRefused(await server.gql(REFRESH, { refreshToken: session.accessToken }));
    expect(codeOf(await server.gql(ME, {}, { token: session.refreshToken }))).toBe('UNAUTHENTICATED');
    // Neither attempt touched the session.
    expect((await server.gql(REFRESH, { refreshToken: session.refreshToken })).errors).toBeUndefined();
  });

  it('sets all three cookies again with the new tokens', async () => {
    const session = await registerUser(server);

    const response = await server.gql(REFRESH, { refreshToken: session.refreshToken });

    const rotated = payloadOf(response);
    const { access_token: access, refresh_token: refresh, logged_in: loggedIn } = response.cookies;
    expect(access).toMatchObject({ value: rotated.accessToken, httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect(refresh).toMatchObject({ value: rotated.refreshToken, httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect(loggedIn).toMatchObject({ value: 'true', secure: true, sameSite: 'Lax', path: '/' });
    expect(loggedIn?.httpOnly).toBeFalsy();
    expect(access?.expires?.getTime()).toBe(claimsOf(rotated.accessToken).exp * 1000);
    expect(refresh?.expires?.getTime()).toBe(claimsOf(rotated.refreshToken!).exp * 1000);
  });

  it('keeps the refresh token out of the body with REFRESH_TOKEN_IN_BODY=false but sets a cookie that works', async () => {
    const cookieOnly = await startServer({ env: { REFRESH_TOKEN_IN_BODY: 'false' } });
    const registered = await cookieOnly.gql(REGISTER, { input: newUser() });
    expect(payloadOf(registered).refreshToken).toBeNull();
    const cookie = registered.cookies.refresh_token?.value;
    expect(cookie).toEqual(expect.any(String));

    const response = await cookieOnly.gql(REFRESH, {}, { cookies: { refresh_token: cookie! } });

    expect(response.errors).toBeUndefined();
    expect(payloadOf(response).refreshToken).toBeNull();
    const next = response.cookies.refresh_token?.value;
    expect(next).toEqual(expect.any(String));
    expect(next).not.toBe(cookie);
    expect(claimsOf(next!).sid).toBe(claimsOf(cookie!).sid);
    expect((await cookieOnly.gql(REFRESH, {}, { cookies: { refresh_token: next! } })).errors).toBeUndefined();
  });

  it('stores only hashes of refresh token ids in Redis, never a token or a jti in clear', async () => {
    const session = await registerUser(server);
    const rotated = payloadOf(await server.gql(REFRESH, { refreshToken: session.refreshToken }));
    const { sid, sub, jti: firstJti } = claimsOf(session.refreshToken);
    const secondJti = claimsOf(rotated.refreshToken!).jti;
    expect((await server.sessions.get(sid, sub))?.refreshJtiHash).toBe(hashTokenId(secondJti));
    if (!redis) return; // the in-process store has no Redis to inspect

    const secrets = [session.refreshToken, rotated.refreshToken!, firstJti, secondJti];
    const keys = await redis.keys(`${server.config.redisKeyPrefix}*`);
    // Layout v2 keeps the session as fields of its user's hash, named by the session id.
    expect(await redis.hexists(`${server.config.redisKeyPrefix}{${sub}}:s2`, sid)).toBe(1);
    for (const key of keys) {
      const type = await redis.type(key);
      const values =
        type === 'hash' ? Object.entries(await redis.hgetall(key)).flat()
        : type === 'set' ? await redis.smembers(key)
        : type === 'zset' ? await redis.zrange(key, 0, -1)
        : type === 'list' ? await redis.lrange(key, 0, -1)
        : [(await redis.get(key)) ?? ''];
      for (const value of [key, ...values]) {
        for (const secret of secrets) expect(value).not.toContain(secret);
      }
    }
  });

  it('refuses to refresh the session of a disabled user and revokes it', async () => {
    const session = await registerUser(server);
    await server.database.prisma.user.update({ where: { id: session.user.id }, data: { active: false } });

    const response = await server.gql(REFRESH, { refreshToken: session.refreshToken });

    expectRefused(response);
    const { sid, sub } = claimsOf(session.refreshToken);
    expect(await server.sessions.get(sid, sub)).toBeNull();
  });

  describe('lifetimes, with REFRESH_TOKEN_TTL=60s and SESSION_MAX_AGE=90s', () => {
    let clockServer: TestServer;
    const start = Math.floor(Date.now() / 1000);
    let now = start;
    beforeAll(async () => {
      clockServer = await startServer({
        env: { ACCESS_TOKEN_TTL: '30s', REFRESH_TOKEN_TTL: '60s', SESSION_MAX_AGE: '90s' },
        clock: () => now,
      });
    });

    async function sessionKeyTtl(token: string): Promise<number | undefined> {
      if (!redis) return undefined;
      const { sid, sub } = claimsOf(token);
      // Layout v2: the session's own field carries the instant it lapses (src/sessions/session-layout.ts).
      const auth = await redis.hget(`${clockServer.config.redisKeyPrefix}{${sub}}:s2`, sid);
      const lapsesAtMs = auth ? decodeV2Auth(auth)?.lapsesAtMs : undefined;
      return lapsesAtMs === undefined ? -2 : Math.floor((lapsesAtMs - Date.now()) / 1000);
    }

    it('slides the session on each refresh but never past createdAt + SESSION_MAX_AGE, then refuses it', async () => {
      const session = await registerUser(clockServer);
      expect(claimsOf(session.refreshToken).exp).toBe(start + 60);
      const ttlAtLogin = await sessionKeyTtl(session.refreshToken);
      if (ttlAtLogin !== undefined) expect(ttlAtLogin).toBeGreaterThan(55);
      if (ttlAtLogin !== undefined) expect(ttlAtLogin).toBeLessThanOrEqual(60);

      now = start + 20;
      const slid = payloadOf(await clockServer.gql(REFRESH, { refreshToken: session.refreshToken }));
      expect(claimsOf(slid.refreshToken!).exp).toBe(start + 80);
      const ttlAfterSlide = await sessionKeyTtl(slid.refreshToken!);
      if (ttlAfterSlide !== undefined) expect(ttlAfterSlide).toBeGreaterThan(55);
      if (ttlAfterSlide !== undefined) expect(ttlAfterSlide).toBeLessThanOrEqual(60);

      now = start + 70;
      const capped = payloadOf(await clockServer.gql(REFRESH, { refreshToken: slid.refreshToken }));
      expect(claimsOf(capped.refreshToken!).exp).toBe(start + 90);
      expect(capped.refreshToken).not.toBeNull();
      const ttlWhenCapped = await sessionKeyTtl(capped.refreshToken!);
      if (ttlWhenCapped !== undefined) expect(ttlWhenCapped).toBeGreaterThan(15);
      if (ttlWhenCapped !== undefined) expect(ttlWhenCapped).toBeLessThanOrEqual(20);

      // The token itself is still within its exp here; the session has reached its maximum age.
      now = start + 90;
      const expired = await clockServer.gql(REFRESH, { refreshToken: capped.refreshToken });

      expectRefused(expired);
      const { sid, sub } = claimsOf(session.refreshToken);
      expect(await clockServer.sessions.get(sid, sub)).toBeNull();
    });
  });
});

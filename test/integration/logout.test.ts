// Logout and the auth cookies (SPEC §4, §6, §7): revocation on every instance, idempotence, cookie attributes.
import type { Cookie } from 'set-cookie-parser';
import jwt from 'jsonwebtoken';
import { LOGIN, LOGOUT, ME, REFRESH, registerUser, type GraphQLResponse } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

// Generous limits: this file logs in many times from one IP and is not about abuse limits.
const LIMITS = { RATE_LIMIT_REGISTER_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000' };
const AUTH_COOKIES = ['access_token', 'refresh_token', 'logged_in'] as const;

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

const codeOf = (response: GraphQLResponse): unknown => response.errors?.[0]?.extensions?.code;

function sessionOf(token: string): { sid: string; sub: string } {
  const payload = jwt.decode(token);
  if (payload === null || typeof payload === 'string') throw new Error(`not a JWT: ${token}`);
  return payload as { sid: string; sub: string };
}

async function login(target: TestServer, input: { email: string; password: string }): Promise<Tokens & { response: GraphQLResponse }> {
  const response = await target.gql(LOGIN, { input: { email: input.email, password: input.password } });
  if (!response.data?.login) throw new Error(`login failed: ${response.text}`);
  return { ...(response.data.login as Tokens), response };
}

/** A user with `count` live sessions (the first from registration). */
async function userWithSessions(target: TestServer, count: number) {
  const registered = await registerUser(target);
  const sessions: Tokens[] = [registered];
  while (sessions.length < count) sessions.push(await login(target, registered.input));
  return { userId: registered.user.id, input: registered.input, sessions };
}

async function expectLive(target: TestServer, tokens: Tokens, userId: string): Promise<void> {
  const me = await target.gql(ME, {}, { token: tokens.accessToken });
  expect(me.errors).toBeUndefined();
  expect(me.data?.me).toMatchObject({ id: userId });
}

/** Both tokens of a revoked session are refused: the access token at once, the refresh token too. */
async function expectRevoked(target: TestServer, tokens: Tokens): Promise<void> {
  const me = await target.gql(ME, {}, { token: tokens.accessToken });
  expect(codeOf(me)).toBe('UNAUTHENTICATED');
  expect(me.data).toBeNull();
  const refresh = await target.gql(REFRESH, { refreshToken: tokens.refreshToken });
  expect(codeOf(refresh)).toBe('UNAUTHENTICATED');
  expect(refresh.data).toBeNull();
}

function expectLogoutTrue(response: GraphQLResponse): void {
  expect(response.status).toBe(200);
  expect(response.errors).toBeUndefined();
  expect(response.data).toEqual({ logout: true });
}

function expectCleared(cookie: Cookie | undefined, attributes: { httpOnly: boolean; secure?: boolean; sameSite?: string }): void {
  expect(cookie).toBeDefined();
  expect(cookie!.value).toBe('');
  expect(cookie!.path).toBe('/');
  const expiredByDate = cookie!.expires !== undefined && cookie!.expires.getTime() < Date.now();
  const expiredByMaxAge = cookie!.maxAge !== undefined && cookie!.maxAge <= 0;
  expect(expiredByDate || expiredByMaxAge).toBe(true);
  expect(Boolean(cookie!.httpOnly)).toBe(attributes.httpOnly);
  expect(Boolean(cookie!.secure)).toBe(attributes.secure ?? true);
  expect(cookie!.sameSite).toBe(attributes.sameSite ?? 'Lax');
}

let server: TestServer;
const extraServers: TestServer[] = [];

async function startServer(options: Parameters<typeof createTestServer>[0] = {}): Promise<TestServer> {
  const started = await createTestServer(options.shareWith ? options : { ...options, env: { ...LIMITS, ...options.env } });
  extraServers.push(started);
  return started;
}

beforeAll(async () => {
  server = await createTestServer({ env: LIMITS });
});
afterAll(async () => {
  for (const extra of extraServers) await extra.close();
  await server.close();
  await releaseTestResources();
});

describe('logout', () => {
  it('revokes the current session at once, access and refresh token alike, and leaves the other sessions working', async () => {
    const { userId, sessions } = await userWithSessions(server, 2);
    const [kept, ended] = sessions as [Tokens, Tokens];

    expectLogoutTrue(await server.gql(LOGOUT, {}, { token: ended.accessToken }));

    await expectRevoked(server, ended);
    await expectLive(server, kept, userId);
    const refreshed = await server.gql(REFRESH, { refreshToken: kept.refreshToken });
    expect(refreshed.errors).toBeUndefined();
  });

  it('revokes every session of the user with allSessions: true but no session of another user', async () => {
    const { sessions } = await userWithSessions(server, 3);
    const other = await userWithSessions(server, 1);

    expectLogoutTrue(await server.gql(LOGOUT, { allSessions: true }, { token: sessions[1]!.accessToken }));

    for (const tokens of sessions) await expectRevoked(server, tokens);
    await expectLive(server, other.sessions[0]!, other.userId);
    expect((await server.gql(REFRESH, { refreshToken: other.sessions[0]!.refreshToken })).errors).toBeUndefined();
  });

  it('treats allSessions: null, inline or as a variable, as false: only the current session ends', async () => {
    const { userId, sessions } = await userWithSessions(server, 3);
    const [inline, variable, kept] = sessions as [Tokens, Tokens, Tokens];

    const literal = await server.gql('mutation { logout(allSessions: null) }', {}, { token: inline.accessToken });
    expectLogoutTrue(literal);
    expectLogoutTrue(await server.gql(LOGOUT, { allSessions: null }, { token: variable.accessToken }));

    await expectRevoked(server, inline);
    await expectRevoked(server, variable);
    await expectLive(server, kept, userId);
  });

  describe('on two instances sharing Redis', () => {
    let serverB: TestServer;
    beforeAll(async () => {
      serverB = await startServer({ shareWith: server });
    });

    it('refuses a session logged out on instance A at once on instance B', async () => {
      const { userId, sessions } = await userWithSessions(server, 2);
      const [kept, ended] = sessions as [Tokens, Tokens];
      await expectLive(serverB, ended, userId);

      expectLogoutTrue(await server.gql(LOGOUT, {}, { token: ended.accessToken }));

      await expectRevoked(serverB, ended);
      await expectLive(serverB, kept, userId);
    });

    it('refuses every session logged out with allSessions: true on instance A at once on instance B', async () => {
      const { userId, sessions } = await userWithSessions(server, 3);
      for (const tokens of sessions) await expectLive(serverB, tokens, userId);

      expectLogoutTrue(await server.gql(LOGOUT, { allSessions: true }, { token: sessions[0]!.accessToken }));

      for (const tokens of sessions) await expectRevoked(serverB, tokens);
    });
  });

  it('answers true to an anonymous logout and clears the cookies anyway', async () => {
    const response = await server.gql(LOGOUT, {});

    expectLogoutTrue(response);
    expectCleared(response.cookies.access_token, { httpOnly: true });
  });

  it('answers true when the same session logs out twice', async () => {
    const { sessions } = await userWithSessions(server, 1);
    const tokens = sessions[0]!;
    const cookies = { refresh_token: tokens.refreshToken };

    expectLogoutTrue(await server.gql(LOGOUT, {}, { token: tokens.accessToken, cookies }));
    expectLogoutTrue(await server.gql(LOGOUT, {}, { token: tokens.accessToken, cookies }));
    await expectRevoked(server, tokens);
  });

  it('clears all three cookies with an expiry in the past, Path=/ and the attributes they were set with', async () => {
    const { sessions } = await userWithSessions(server, 1);

    const response = await server.gql(LOGOUT, {}, { token: sessions[0]!.accessToken });

    expectLogoutTrue(response);
    expectCleared(response.cookies.access_token, { httpOnly: true });
    expectCleared(response.cookies.refresh_token, { httpOnly: true });
    expectCleared(response.cookies.logged_in, { httpOnly: false });
  });

  it('revokes the session named by the refresh_token cookie when the access token has expired', async () => {
    let now = Math.floor(Date.now() / 1000);
    const clockServer = await startServer({ clock: () => now });
    const { userId, sessions } = await userWithSessions(clockServer, 2);
    const [kept, ended] = sessions as [Tokens, Tokens];
    now += 16 * 60; // past ACCESS_TOKEN_TTL (15m), well within REFRESH_TOKEN_TTL (7d)
    expect(codeOf(await clockServer.gql(ME, {}, { token: ended.accessToken }))).toBe('UNAUTHENTICATED');

    const response = await clockServer.gql(LOGOUT, {}, { token: ended.accessToken, cookies: { refresh_token: ended.refreshToken } });

    expectLogoutTrue(response);
    const { sid, sub } = sessionOf(ended.refreshToken);
    expect(sub).toBe(userId);
    expect(await clockServer.sessions.get(sid, sub)).toBeNull();
    expect(codeOf(await clockServer.gql(REFRESH, { refreshToken: ended.refreshToken }))).toBe('UNAUTHENTICATED');
    const stillThere = sessionOf(kept.refreshToken);
    expect(await clockServer.sessions.get(stillThere.sid, stillThere.sub)).toMatchObject({ id: stillThere.sid, userId });
  });

  it('revokes every session with allSessions: true from the current refresh_token cookie alone', async () => {
    const { sessions } = await userWithSessions(server, 2);
    const other = await userWithSessions(server, 1);

    const response = await server.gql(LOGOUT, { allSessions: true }, { cookies: { refresh_token: sessions[0]!.refreshToken } });

    expectLogoutTrue(response);
    expectCleared(response.cookies.refresh_token, { httpOnly: true });
    for (const tokens of sessions) await expectRevoked(server, tokens);
    await expectLive(server, other.sessions[0]!, other.userId);
  });

  it('never signs a user out everywhere from an already rotated refresh_token cookie: it ends only that session', async () => {
    const { userId, sessions } = await userWithSessions(server, 3);
    const [stolen, ...others] = sessions as [Tokens, Tokens, Tokens];
    const rotated = await server.gql(REFRESH, { refreshToken: stolen.refreshToken });
    expect(rotated.errors).toBeUndefined();

    const response = await server.gql(LOGOUT, { allSessions: true }, { cookies: { refresh_token: stolen.refreshToken } });

    expectLogoutTrue(response);
    expectCleared(response.cookies.refresh_token, { httpOnly: true });
    expectCleared(response.cookies.access_token, { httpOnly: true });
    // As reuse detection would: the session the old token belongs to ends, the user's other sessions stay.
    const { sid } = sessionOf(stolen.refreshToken);
    expect(await server.sessions.get(sid, userId)).toBeNull();
    await expectRevoked(server, rotated.data!.refresh as Tokens);
    for (const tokens of others) await expectLive(server, tokens, userId);
    expect((await server.gql(REFRESH, { refreshToken: others[0].refreshToken })).errors).toBeUndefined();
  });

  it('answers true and revokes nothing when the refresh_token cookie is not a valid refresh token', async () => {
    const { userId, sessions } = await userWithSessions(server, 1);
    const tokens = sessions[0]!;

    const response = await server.gql(LOGOUT, {}, { cookies: { refresh_token: tokens.accessToken } });

    expectLogoutTrue(response);
    await expectLive(server, tokens, userId);
  });
});

describe('auth cookies', () => {
  it('sets HttpOnly, Secure, SameSite=Lax, Path=/ access and refresh cookies and a script-readable logged_in=true on login', async () => {
    const { input } = await userWithSessions(server, 1);

    const { accessToken, refreshToken, response } = await login(server, input);

    const { access_token: access, refresh_token: refresh, logged_in: loggedIn } = response.cookies;
    expect(access).toMatchObject({ value: accessToken, httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect(refresh).toMatchObject({ value: refreshToken, httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect(loggedIn).toMatchObject({ value: 'true', secure: true, sameSite: 'Lax', path: '/' });
    expect(loggedIn!.httpOnly).toBeFalsy();
    expect(access!.expires!.getTime()).toBeGreaterThan(Date.now());
    expect(refresh!.expires!.getTime()).toBeGreaterThan(access!.expires!.getTime());
  });

  it('drops the Secure attribute with COOKIE_SECURE=false', async () => {
    const insecure = await startServer({ env: { COOKIE_SECURE: 'false' } });
    const { response } = await userWithSessions(insecure, 1).then(({ input }) => login(insecure, input));

    for (const name of AUTH_COOKIES) {
      expect(response.cookies[name]).toBeDefined();
      expect(response.cookies[name]!.secure).toBeFalsy();
    }
    const logout = await insecure.gql(LOGOUT, {});
    expectCleared(logout.cookies.access_token, { httpOnly: true, secure: false });
  });

  it('applies SameSite=Strict with COOKIE_SAMESITE=strict', async () => {
    const strict = await startServer({ env: { COOKIE_SAMESITE: 'strict' } });
    const { response } = await userWithSessions(strict, 1).then(({ input }) => login(strict, input));

    for (const name of AUTH_COOKIES) expect(response.cookies[name]).toMatchObject({ sameSite: 'Strict', secure: true, path: '/' });
    const logout = await strict.gql(LOGOUT, {});
    expectCleared(logout.cookies.refresh_token, { httpOnly: true, sameSite: 'Strict' });
  });

  it('supports a cookie-only client end to end: login, me, refresh and logout', async () => {
    const { userId, input } = await userWithSessions(server, 1);
    const { response: loggedIn } = await login(server, input);
    const jar = (response: GraphQLResponse) => ({
      access_token: response.cookies.access_token!.value,
      refresh_token: response.cookies.refresh_token!.value,
    });
    let cookies = jar(loggedIn);

    const me = await server.gql(ME, {}, { cookies: { access_token: cookies.access_token } });
    expect(me.data?.me).toMatchObject({ id: userId });

    const refreshed = await server.gql(REFRESH, {}, { cookies });
    expect(refreshed.errors).toBeUndefined();
    cookies = jar(refreshed);
    expect(cookies.refresh_token).not.toBe(jar(loggedIn).refresh_token);
    expect((await server.gql(ME, {}, { cookies })).data?.me).toMatchObject({ id: userId });

    const logout = await server.gql(LOGOUT, {}, { cookies });
    expectLogoutTrue(logout);
    expectCleared(logout.cookies.access_token, { httpOnly: true });

    expect(codeOf(await server.gql(ME, {}, { cookies }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await server.gql(REFRESH, {}, { cookies }))).toBe('UNAUTHENTICATED');
  });
});

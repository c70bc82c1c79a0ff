// My sessions (issue 6): `sessions` lists the viewer's own, `revokeSession` ends one of them.
import jwt from 'jsonwebtoken';
import { codeOf, logIn, newAccount, newAdmin, type Account } from '../helpers/accounts';
import { ME, REFRESH } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const LIMITS = { RATE_LIMIT_REGISTER_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000' };
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';

const SESSIONS = /* GraphQL */ `
  query Sessions { sessions { id createdAt lastUsedAt expiresAt ip current userAgent { raw browser os device description } } }
`;
const REVOKE_SESSION = /* GraphQL */ `
  mutation RevokeSession($id: ID!) { revokeSession(id: $id) }
`;

const sessionIdOf = (token: string): string => (jwt.decode(token) as { sid: string }).sid;

let now = Math.floor(Date.now() / 1000);
let server: TestServer;

beforeAll(async () => {
  server = await createTestServer({ env: LIMITS, clock: () => now });
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

async function expectLive(account: Pick<Account, 'accessToken'>): Promise<void> {
  const me = await server.gql(ME, {}, { token: account.accessToken });
  expect(me.errors).toBeUndefined();
}

async function expectRevoked(account: Pick<Account, 'accessToken' | 'refreshToken'>): Promise<void> {
  expect(codeOf(await server.gql(ME, {}, { token: account.accessToken }))).toBe('UNAUTHENTICATED');
  expect(codeOf(await server.gql(REFRESH, { refreshToken: account.refreshToken }))).toBe('UNAUTHENTICATED');
}

describe('sessions', () => {
  it('answers UNAUTHENTICATED to an anonymous caller and to a revoked token, with no data', async () => {
    const anonymous = await server.gql(SESSIONS);
    expect(codeOf(anonymous)).toBe('UNAUTHENTICATED');
    expect(anonymous.data).toBeNull();

    const account = await newAccount(server);
    await server.sessions.revokeAll(account.id);
    const revoked = await server.gql(SESSIONS, {}, { token: account.accessToken });
    expect(codeOf(revoked)).toBe('UNAUTHENTICATED');
    expect(revoked.data).toBeNull();
  });

  it("lists the viewer's live sessions, most recent first, with IP, parsed user agent, times and the current one marked", async () => {
    const start = now;
    const first = await newAccount(server, { 'user-agent': CHROME_MAC });
    now += 60;
    const second = await logIn(server, first, { 'user-agent': FIREFOX_WINDOWS });
    const stranger = await newAccount(server);

    const response = await server.gql(SESSIONS, {}, { token: second.accessToken });

    expect(response.errors).toBeUndefined();
    const sessions = response.data!.sessions as Array<Record<string, any>>;
    expect(sessions.map((session) => session.id)).toEqual([sessionIdOf(second.accessToken), sessionIdOf(first.accessToken)]);
    expect(sessions.map((session) => session.current)).toEqual([true, false]);
    expect(sessions[0]).toMatchObject({
      createdAt: new Date((start + 60) * 1000).toISOString(),
      lastUsedAt: new Date((start + 60) * 1000).toISOString(),
      expiresAt: new Date((start + 60 + server.config.jwt.refreshTokenTtl.seconds) * 1000).toISOString(),
      // A session keeps only the parsed user agent (layout v2): raw repeats the description.
      userAgent: { raw: 'Firefox 128 on Windows 10', browser: 'Firefox 128', os: 'Windows 10', device: null, description: 'Firefox 128 on Windows 10' },
    });
    expect(sessions[0]!.ip).toMatch(/127\.0\.0\.1$/);
    expect(sessions[1]!.userAgent).toMatchObject({ browser: 'Chrome 120', os: 'Mac OS 10.15.7', description: 'Chrome 120 on Mac OS 10.15.7' });
    expect(response.text).not.toContain(stranger.id);
    expect(response.text).not.toContain(sessionIdOf(stranger.accessToken));
  });

  it('shows the metadata of the last refresh and drops revoked sessions from the list', async () => {
    const account = await newAccount(server, { 'user-agent': CHROME_MAC });
    const other = await logIn(server, account);
    now += 120;
    const refreshed = await server.gql(REFRESH, { refreshToken: account.refreshToken }, { headers: { 'user-agent': FIREFOX_WINDOWS } });
    expect(refreshed.errors).toBeUndefined();
    await server.gql(REVOKE_SESSION, { id: sessionIdOf(other.accessToken) }, { token: other.accessToken });

    const response = await server.gql(SESSIONS, {}, { token: refreshed.data!.refresh.accessToken });

    expect(response.data!.sessions).toEqual([
      expect.objectContaining({
        id: sessionIdOf(account.accessToken),
        lastUsedAt: new Date(now * 1000).toISOString(),
        userAgent: expect.objectContaining({ description: 'Firefox 128 on Windows 10' }),
        current: true,
      }),
    ]);
  });

  it('describes an unknown or missing user agent by the raw header', async () => {
    const account = await newAccount(server, { 'user-agent': 'curl/8.5.0' });
    const bare = await logIn(server, account, { 'user-agent': '' });

    const response = await server.gql(SESSIONS, {}, { token: bare.accessToken });

    const agents = (response.data!.sessions as Array<{ userAgent: Record<string, unknown> }>).map((session) => session.userAgent);
    expect(agents).toContainEqual({ raw: '', browser: null, os: null, device: null, description: '' });
    expect(agents).toContainEqual({ raw: 'curl/8.5.0', browser: null, os: null, device: null, description: 'curl/8.5.0' });
  });

  it("shows an ADMIN only the admin's own sessions", async () => {
    const admin = await newAdmin(server);
    const user = await newAccount(server);

    const response = await server.gql(SESSIONS, {}, { token: admin.accessToken });

    expect(response.errors).toBeUndefined();
    expect((response.data!.sessions as unknown[]).length).toBe(2); // registration and the re-login
    expect(response.text).not.toContain(sessionIdOf(user.accessToken));
  });
});

describe('revokeSession', () => {
  it('revokes another session of the viewer at once: its access and refresh tokens are refused, the current one lives', async () => {
    const account = await newAccount(server);
    const laptop = await logIn(server, account);

    const response = await server.gql(REVOKE_SESSION, { id: sessionIdOf(laptop.accessToken) }, { token: account.accessToken });

    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ revokeSession: true });
    expect(response.cookies.access_token).toBeUndefined();
    await expectRevoked(laptop);
    await expectLive(account);
  });

  it('revokes the current session like a logout, clearing the cookies', async () => {
    const account = await newAccount(server);

    const response = await server.gql(REVOKE_SESSION, { id: sessionIdOf(account.accessToken) }, { token: account.accessToken });

    expect(response.data).toEqual({ revokeSession: true });
    expect(response.cookies.access_token?.value).toBe('');
    expect(response.cookies.refresh_token?.value).toBe('');
    await expectRevoked(account);
  });

  it("answers false for another user's session, exactly as for an unknown id, and leaves it alive", async () => {
    const attacker = await newAccount(server);
    const victim = await newAccount(server);

    const foreign = await server.gql(REVOKE_SESSION, { id: sessionIdOf(victim.accessToken) }, { token: attacker.accessToken });
    const unknown = await server.gql(REVOKE_SESSION, { id: 'no-such-session' }, { token: attacker.accessToken });

    expect(foreign.data).toEqual({ revokeSession: false });
    expect(unknown.data).toEqual({ revokeSession: false });
    expect(foreign.text).toBe(unknown.text);
    await expectLive(victim);
    await expectLive(attacker);
  });

  it("does not let an ADMIN revoke another user's session through it", async () => {
    const admin = await newAdmin(server);
    const user = await newAccount(server);

    const response = await server.gql(REVOKE_SESSION, { id: sessionIdOf(user.accessToken) }, { token: admin.accessToken });

    expect(response.data).toEqual({ revokeSession: false });
    await expectLive(user);
  });

  it('answers false to odd ids (empty, huge, key-like) and revokes nothing', async () => {
    const account = await newAccount(server);
    for (const id of ['', 'x'.repeat(10_000), `{${account.id}}:s:*`, '*']) {
      const response = await server.gql(REVOKE_SESSION, { id }, { token: account.accessToken });
      expect(response.data).toEqual({ revokeSession: false });
    }
    await expectLive(account);
  });

  it('answers UNAUTHENTICATED to an anonymous caller and revokes nothing', async () => {
    const account = await newAccount(server);

    const response = await server.gql(REVOKE_SESSION, { id: sessionIdOf(account.accessToken) });

    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    expect(response.data).toBeNull();
    await expectLive(account);
  });

  it('refuses a call without an id at validation (400) and revokes nothing', async () => {
    const account = await newAccount(server);

    const response = await server.gql('mutation { revokeSession }', {}, { token: account.accessToken });

    expect(response.status).toBe(400);
    expect(codeOf(response)).toBe('GRAPHQL_VALIDATION_FAILED');
    await expectLive(account);
  });
});

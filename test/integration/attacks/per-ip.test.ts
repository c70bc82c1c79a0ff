// Attack: one client working through many accounts (password spraying), mass registration and refresh
// flooding, against the per-IP limits (SPEC §8). Each server gets its own Redis prefix: fresh counters.
import { CountingHasher } from '../../helpers/counting-hasher';
import { userCount } from '../../helpers/effects';
import { LOGIN, LOGOUT, REFRESH, REGISTER, newUser, registerUser, type GraphQLResponse } from '../../helpers/graphql';
import { newRedisPrefix } from '../../helpers/backends';
import { decodeJwt } from '../../helpers/tokens';
import { createTestServer, releaseTestResources, type TestServer } from '../../helpers/test-server';
import { hashTokenId } from '../../../src/sessions/session-store';

const hasher = new CountingHasher();
const servers: TestServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
  await releaseTestResources();
});

async function serverWith(env: Record<string, string>): Promise<TestServer> {
  const server = await createTestServer({ hasher, env: { REDIS_KEY_PREFIX: newRedisPrefix(), ...env } });
  servers.push(server);
  return server;
}

const passwordWork = () => hasher.total;
const codes = (response: GraphQLResponse) => response.errors?.map((error) => error.extensions?.code);

function expectRateLimited(response: GraphQLResponse, field: string): void {
  expect(response.status).toBe(429);
  expect(codes(response)).toEqual(['RATE_LIMITED']);
  expect(response.errors![0]!.path).toEqual([field]);
  const retryAfter = response.errors![0]!.extensions!.retryAfter as number;
  expect(retryAfter).toBeGreaterThan(0);
  expect(response.headers.get('retry-after')).toBe(String(retryAfter));
  expect(response.cookies).toEqual({});
}

describe('password spraying from one IP across many accounts', () => {
  it('refuses logins from an IP after RATE_LIMIT_LOGIN_PER_IP failures, even a right password for another account', async () => {
    const server = await serverWith({ RATE_LIMIT_LOGIN_PER_IP: '5' });
    const { input: victim } = await registerUser(server);
    for (let account = 0; account < 5; account += 1) {
      const response = await server.gql(LOGIN, { input: { email: newUser().email, password: 'Summer2026!' } });
      expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    }
    const work = passwordWork();

    expectRateLimited(await server.gql(LOGIN, { input: { email: victim.email, password: victim.password } }), 'login');
    expect(passwordWork()).toBe(work);
  });

  it('ignores a rotating X-Forwarded-For from an untrusted peer: the socket address is the client', async () => {
    const server = await serverWith({ RATE_LIMIT_LOGIN_PER_IP: '3' });
    const spray = (i: number) =>
      server.gql(LOGIN, { input: { email: newUser().email, password: 'Winter2026!' } }, { headers: { 'x-forwarded-for': `198.51.100.${i}` } });
    for (let i = 1; i <= 3; i += 1) expect(codes(await spray(i))).toEqual(['UNAUTHENTICATED']);

    expectRateLimited(await spray(4), 'login');
  });

  it('with TRUST_PROXY=loopback, counts each X-Forwarded-For client on its own', async () => {
    const server = await serverWith({ RATE_LIMIT_LOGIN_PER_IP: '2', TRUST_PROXY: 'loopback' });
    const from = (ip: string) =>
      server.gql(LOGIN, { input: { email: newUser().email, password: 'Autumn2026!' } }, { headers: { 'x-forwarded-for': ip } });
    for (let i = 0; i < 2; i += 1) expect(codes(await from('203.0.113.1'))).toEqual(['UNAUTHENTICATED']);

    expectRateLimited(await from('203.0.113.1'), 'login');
    expect(codes(await from('203.0.113.2'))).toEqual(['UNAUTHENTICATED']);
  });

  it('counts every IPv6 address of one /64 as one client, so rotating through a /64 does not escape the limit', async () => {
    const server = await serverWith({ RATE_LIMIT_LOGIN_PER_IP: '2', TRUST_PROXY: 'loopback' });
    const from = (ip: string) =>
      server.gql(LOGIN, { input: { email: newUser().email, password: 'Spring2026!' } }, { headers: { 'x-forwarded-for': ip } });
    expect(codes(await from('2001:db8:1:2::a'))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await from('2001:db8:1:2:ffff:ffff:ffff:fffe'))).toEqual(['UNAUTHENTICATED']);

    expectRateLimited(await from('2001:0db8:0001:0002:1234::77'), 'login');
    expect(codes(await from('2001:db8:1:3::a'))).toEqual(['UNAUTHENTICATED']);
  });

  it('gives an IP its point back for each successful login, so users behind one address are not locked out by their own logins', async () => {
    const server = await serverWith({ RATE_LIMIT_LOGIN_PER_IP: '2' });
    const { input } = await registerUser(server);
    for (let i = 0; i < 4; i += 1) {
      expect((await server.gql(LOGIN, { input: { email: input.email, password: input.password } })).errors).toBeUndefined();
    }
  });
});

describe('mass registration from one IP', () => {
  it('refuses registrations beyond RATE_LIMIT_REGISTER_PER_IP without hashing or creating a user', async () => {
    const server = await serverWith({ RATE_LIMIT_REGISTER_PER_IP: '3' });
    for (let i = 0; i < 3; i += 1) await registerUser(server);
    const input = newUser();
    const work = passwordWork();

    const response = await server.gql(REGISTER, { input });

    expectRateLimited(response, 'register');
    expect(passwordWork()).toBe(work);
    expect(await userCount(server, [input.email])).toBe(0);
  });

  it('does not count registrations refused as invalid input', async () => {
    const server = await serverWith({ RATE_LIMIT_REGISTER_PER_IP: '1' });
    for (let i = 0; i < 3; i += 1) {
      expect(codes(await server.gql(REGISTER, { input: newUser({ password: 'short' }) }))).toEqual(['BAD_USER_INPUT']);
    }
    expect((await server.gql(REGISTER, { input: newUser() })).errors).toBeUndefined();
  });
});

describe('refresh flooding from one IP', () => {
  it('never limits successful refreshes, however many come from one IP (an office or a carrier NAT)', async () => {
    const server = await serverWith({ RATE_LIMIT_REFRESH_PER_IP: '3' });
    const chains = await Promise.all([registerUser(server), registerUser(server), registerUser(server)]);
    for (let round = 0; round < 5; round += 1) {
      for (const chain of chains) {
        const response = await server.gql(REFRESH, { refreshToken: chain.refreshToken });
        expect(response.errors).toBeUndefined();
        expect(response.data!.refresh.user.id).toBe(chain.user.id);
        chain.refreshToken = response.data!.refresh.refreshToken;
      }
    }
  });

  it('refuses every refresh from an IP after RATE_LIMIT_REFRESH_PER_IP failed ones, even a valid token, before touching its session', async () => {
    const server = await serverWith({ RATE_LIMIT_REFRESH_PER_IP: '3' });
    const { refreshToken } = await registerUser(server);
    const rotated = (await server.gql(REFRESH, { refreshToken })).data!.refresh.refreshToken as string;
    // Three kinds of failure: a forged signature, a token of a revoked session, and reuse of a rotated token.
    const revoked = await registerUser(server);
    await server.gql(LOGOUT, {}, { token: revoked.accessToken });
    expect(codes(await server.gql(REFRESH, { refreshToken: 'forged.0.token' }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await server.gql(REFRESH, { refreshToken: revoked.refreshToken }))).toEqual(['UNAUTHENTICATED']);
    const victim = await registerUser(server);
    const victimNext = (await server.gql(REFRESH, { refreshToken: victim.refreshToken })).data!.refresh.refreshToken as string;
    expect(codes(await server.gql(REFRESH, { refreshToken: victim.refreshToken }))).toEqual(['UNAUTHENTICATED']);
    expect(victimNext).toBeDefined();

    expectRateLimited(await server.gql(REFRESH, { refreshToken: rotated }), 'refresh');

    const { sub, sid, jti } = decodeJwt(rotated).payload;
    const session = await server.sessions.get(sid, sub);
    expect(session?.refreshJtiHash).toBe(hashTokenId(jti));
  });

  it('counts forged refresh tokens', async () => {
    const server = await serverWith({ RATE_LIMIT_REFRESH_PER_IP: '2' });
    for (let i = 0; i < 2; i += 1) expect(codes(await server.gql(REFRESH, { refreshToken: `forged.${i}.token` }))).toEqual(['UNAUTHENTICATED']);

    expectRateLimited(await server.gql(REFRESH, { refreshToken: 'forged.3.token' }), 'refresh');
  });
});

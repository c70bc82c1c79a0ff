// Attack: guessing one account's password (SPEC §8 per-account limit), with short windows so locks end in seconds.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { CountingHasher } from '../../helpers/counting-hasher';
import { expectSessionCount } from '../../helpers/effects';
import { LOGIN, REGISTER, newUser, registerUser, type GraphQLResponse } from '../../helpers/graphql';
import { realRedisUrl } from '../../helpers/backends';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy';
import { createTestServer, releaseTestResources, type TestServer } from '../../helpers/test-server';

const LIMITS = { RATE_LIMIT_LOGIN_PER_ACCOUNT: '3', RATE_LIMIT_LOGIN_PER_ACCOUNT_WINDOW: '2s', LOGIN_MAX_LOCKOUT: '3s' };

let server: TestServer;
let hasher: CountingHasher;
const closers: Array<() => Promise<void>> = [];
beforeAll(async () => {
  hasher = new CountingHasher();
  server = await createTestServer({ hasher, env: LIMITS });
  closers.push(() => server.close());
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await releaseTestResources();
});

/** The unkeyed SHA-256 of a normalised email in the encodings a key could carry: a dictionary of emails reverses these. */
const plainDigests = (email: string): string[] => {
  const digest = createHash('sha256').update(email.trim().toLowerCase()).digest();
  return [digest.toString('base64url'), digest.toString('base64'), digest.toString('hex')];
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const login = (target: TestServer, email: string, password: string, headers: Record<string, string> = {}) =>
  target.gql(LOGIN, { input: { email, password } }, { headers });
const passwordChecks = () => hasher.calls.verify + hasher.calls.verifyDummy;

function expectUnauthenticated(response: GraphQLResponse): void {
  expect(response.status).toBe(200);
  expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
}

/** RATE_LIMITED as the only error: 429, Retry-After equal to extensions.retryAfter, no tokens, no cookies. */
function expectRateLimited(response: GraphQLResponse, retryAfter: number): void {
  expect(response.status).toBe(429);
  expect(response.headers.get('retry-after')).toBe(String(retryAfter));
  expect(JSON.parse(response.text)).toEqual({
    data: null,
    errors: [
      {
        message: 'Too many attempts, try again later',
        locations: expect.any(Array),
        path: ['login'],
        extensions: { code: 'RATE_LIMITED', retryAfter },
      },
    ],
  });
  expect(response.cookies).toEqual({});
}

async function failTimes(email: string, times: number, headers: (attempt: number) => Record<string, string> = () => ({})) {
  for (let attempt = 0; attempt < times; attempt += 1) expectUnauthenticated(await login(server, email, `wrong guess ${attempt}`, headers(attempt)));
}

describe('brute force on one account', () => {
  it('locks the account after RATE_LIMIT_LOGIN_PER_ACCOUNT failures and refuses even the correct password, without checking it', async () => {
    const { input, user } = await registerUser(server);
    await failTimes(input.email, 3);
    const checks = passwordChecks();

    expectRateLimited(await login(server, input.email, input.password), 2);
    expectRateLimited(await login(server, input.email, 'another guess'), 2);

    expect(passwordChecks()).toBe(checks);
    await expectSessionCount(server, user.id, 1); // only the session registration created
  });

  it('counts every letter case and surrounding spaces of an email as one account', async () => {
    const { input } = await registerUser(server);
    const variants = [input.email.toUpperCase(), `  ${input.email}  `, input.email.replace(/^./, (c) => c.toUpperCase())];
    for (const email of variants) expectUnauthenticated(await login(server, email, 'wrong guess'));

    expectRateLimited(await login(server, input.email, input.password), 2);
  });

  it('ignores a rotating X-Forwarded-For from an untrusted peer: the account stays locked', async () => {
    const { input } = await registerUser(server);
    await failTimes(input.email, 3, (attempt) => ({ 'x-forwarded-for': `198.51.100.${attempt + 1}` }));

    expectRateLimited(await login(server, input.email, input.password, { 'x-forwarded-for': '203.0.113.77' }), 2);
  });

  it('makes at most RATE_LIMIT_LOGIN_PER_ACCOUNT password checks for 20 concurrent guesses', async () => {
    const { input } = await registerUser(server);
    const checks = passwordChecks();

    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => login(server, input.email, `parallel guess ${i}`)));

    const codes = responses.map((response) => response.errors?.[0]?.extensions?.code);
    expect(codes.filter((code) => code === 'UNAUTHENTICATED')).toHaveLength(3);
    expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(17);
    expect(passwordChecks() - checks).toBe(3);
  });

  it('ends the lock by itself after retryAfter seconds; the correct password then logs in', async () => {
    const { input, user } = await registerUser(server);
    await failTimes(input.email, 3);
    expectRateLimited(await login(server, input.email, input.password), 2);

    await sleep(2_100);
    const response = await login(server, input.email, input.password);

    expect(response.errors).toBeUndefined();
    expect(response.data!.login.user.id).toBe(user.id);
    await expectSessionCount(server, user.id, 2);
  });

  it('resets the failure count on a successful login', async () => {
    const { input } = await registerUser(server);
    await failTimes(input.email, 2);
    expect((await login(server, input.email, input.password)).errors).toBeUndefined();

    // Without the reset the third of these would already be refused.
    await failTimes(input.email, 3);
    expectRateLimited(await login(server, input.email, input.password), 2);
  });

  it('counts failures on an unknown email the same way, and that email can still register and then log in', async () => {
    const input = newUser();
    await failTimes(input.email, 3);
    const checks = hasher.calls.verifyDummy;
    expectRateLimited(await login(server, input.email, input.password), 2);
    expect(hasher.calls.verifyDummy).toBe(checks);

    const registered = await server.gql(REGISTER, { input });
    expect(registered.errors).toBeUndefined();
    const response = await login(server, input.email, input.password);
    expect(response.errors).toBeUndefined();
    expect(response.data!.login.user.email).toBe(input.email);
  });

  it('doubles the lock with each repeated lock-out, never beyond LOGIN_MAX_LOCKOUT', async () => {
    const quick = await createTestServer({
      env: { RATE_LIMIT_LOGIN_PER_ACCOUNT: '2', RATE_LIMIT_LOGIN_PER_ACCOUNT_WINDOW: '1s', LOGIN_MAX_LOCKOUT: '3s' },
    });
    closers.push(() => quick.close());
    const { input } = await registerUser(quick);
    const lockOut = async () => {
      for (const guess of ['guess one', 'guess two']) expectUnauthenticated(await login(quick, input.email, guess));
      const refused = await login(quick, input.email, input.password);
      expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      return refused.errors![0]!.extensions!.retryAfter as number;
    };

    const first = await lockOut();
    await sleep(first * 1000 + 100);
    const second = await lockOut();
    await sleep(second * 1000 + 100);
    const third = await lockOut();

    expect([first, second, third]).toEqual([1, 2, 3]); // 1 s, 2 s, then 4 s capped at 3 s
  });
});

// The in-process counters are neither shared nor inspectable, nor can they be cut off: these need the real Redis.
const redisUrl = realRedisUrl();
(redisUrl ? describe : describe.skip)('counters in Redis', () => {
  it('are shared by every instance: failures on one lock the account on another', async () => {
    const other = await createTestServer({ shareWith: server, hasher });
    closers.push(() => other.close());
    const { input } = await registerUser(server);
    await failTimes(input.email, 2);
    expectUnauthenticated(await login(other, input.email, 'third guess, other instance'));

    expectRateLimited(await login(other, input.email, input.password), 2);
    expectRateLimited(await login(server, input.email, input.password), 2);
  });

  it('live under REDIS_KEY_PREFIX in hash-tagged keys that expire and contain neither the email nor its plain SHA-256', async () => {
    const { input } = await registerUser(server);
    await failTimes(input.email, 1);
    const digests = plainDigests(input.email);
    const redis = new Redis(redisUrl!);
    try {
      const keys = await redis.keys(`${server.config.redisKeyPrefix}rl:*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key.startsWith(server.config.redisKeyPrefix)).toBe(true);
        expect(key.slice(server.config.redisKeyPrefix.length)).toMatch(/^rl:[a-z-]+:\{[^{}]+\}$/);
        expect(key.toLowerCase()).not.toContain(input.email.toLowerCase());
        for (const digest of digests) expect({ key, digest: key.includes(digest) }).toEqual({ key, digest: false });
        expect(await redis.pttl(key)).toBeGreaterThan(0);
      }
      expect(keys.some((key) => key.includes('rl:login-account:{'))).toBe(true);
      expect(keys.some((key) => key.includes('rl:login-ip:{'))).toBe(true);
    } finally {
      redis.disconnect();
    }
  });

  it('key an account by an HMAC under the server secret: another refresh secret counts the same email under another key', async () => {
    const email = newUser().email;
    const other = await createTestServer({ env: { ...LIMITS, JWT_REFRESH_SECRET: 'another-refresh-secret-0123456789abcdef-012345' } });
    closers.push(() => other.close());
    const redis = new Redis(redisUrl!);
    const accountKeys = async () => new Set(await redis.keys(`${server.config.redisKeyPrefix}rl:login-account:*`));
    try {
      const before = await accountKeys();
      expectUnauthenticated(await login(server, email, 'a guess'));
      const afterOne = await accountKeys();
      expectUnauthenticated(await login(other, email, 'a guess'));
      const afterBoth = await accountKeys();

      const ours = [...afterOne].filter((key) => !before.has(key));
      const theirs = [...afterBoth].filter((key) => !afterOne.has(key));
      expect(ours).toHaveLength(1);
      expect(theirs).toHaveLength(1);
      expect(theirs[0]).not.toBe(ours[0]);
      for (const key of [...ours, ...theirs]) {
        expect(key).not.toContain(email);
        for (const digest of plainDigests(email)) expect(key).not.toContain(digest);
      }
    } finally {
      redis.disconnect();
    }
  });
});

(redisUrl ? describe : describe.skip)('while Redis is unreachable', () => {
  let proxy: TcpProxy;
  let cut: TestServer;
  beforeAll(async () => {
    const target = new URL(redisUrl!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    closers.push(() => proxy.close());
    cut = await createTestServer({ redisUrl: proxy.proxied(redisUrl!), hasher, env: LIMITS });
    closers.push(() => cut.close());
  });

  it('fails login closed with SERVICE_UNAVAILABLE and no password check rather than skipping the limit, and recovers', async () => {
    const { input } = await registerUser(cut);
    await proxy.cut('refuse');
    const checks = passwordChecks();

    const response = await login(cut, input.email, input.password);

    expect(response.status).toBe(503);
    expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(response.cookies).toEqual({});
    expect(passwordChecks()).toBe(checks);

    await proxy.restore();
    for (let attempt = 0; ; attempt += 1) {
      const retry = await login(cut, input.email, input.password);
      if (retry.status === 200) {
        expect(retry.errors).toBeUndefined();
        break;
      }
      if (attempt > 50) throw new Error(`no recovery: ${retry.text}`);
      await sleep(100);
    }
  });
});

// Two service instances sharing a real Redis Cluster (three masters, three replicas) and PostgreSQL
// (SPEC §13): sessions, abuse counters, the user change feed and machine-client state all work across
// instances with keys spread over the cluster's masters.
import { Cluster } from 'ioredis';
import { LOGIN, LOGOUT, ME, REFRESH, registerUser } from '../helpers/graphql';
import { realRedisClusterNodes } from '../helpers/backends';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';
import { CachedUserRepository } from '../../src/users/cached-user.repository';
import { PrismaUserRepository } from '../../src/users/user.repository';

const nodes = realRedisClusterNodes();
if (!nodes) console.log('redis-cluster: skipped, no Redis Cluster is running (start one with npm run cluster:up)');
const describeOnCluster = nodes ? describe : describe.skip;

const codes = (response: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => response.errors?.map((error) => error.extensions?.code);

describeOnCluster('two instances sharing a Redis Cluster', () => {
  let a: TestServer;
  let b: TestServer;
  let admin: Cluster;

  beforeAll(async () => {
    a = await createTestServer({ env: { REDIS_CLUSTER_NODES: nodes!, RATE_LIMIT_LOGIN_PER_ACCOUNT: '3' } });
    b = await createTestServer({ shareWith: a });
    admin = new Cluster(nodes!.split(',').map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })));
  });
  afterAll(async () => {
    await admin?.quit();
    await b?.close();
    await a?.close();
    await releaseTestResources();
  });

  it('runs on the cluster: both instances hold an ioredis Cluster, not the single node', () => {
    expect(a.env.REDIS_URL).toBeUndefined();
    expect(a.config.redisClusterNodes).toHaveLength(6);
    expect(b.config.redisClusterNodes).toEqual(a.config.redisClusterNodes);
  });

  it('serves on one instance the sessions made on the other, rotates there, and refuses the rotated token on both', async () => {
    const registered = await registerUser(a);
    const me = await b.gql(ME, {}, { token: registered.accessToken });
    expect(me.data!.me.id).toBe(registered.user.id);

    const refreshed = await b.gql(REFRESH, { refreshToken: registered.refreshToken });
    expect(refreshed.errors).toBeUndefined();
    const fresh = refreshed.data!.refresh as { accessToken: string; refreshToken: string };
    expect((await a.gql(ME, {}, { token: fresh.accessToken })).data!.me.id).toBe(registered.user.id);

    // Reusing the rotated token (reuse detection) revokes the session for both instances.
    expect(codes(await a.gql(REFRESH, { refreshToken: registered.refreshToken }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await b.gql(ME, {}, { token: fresh.accessToken }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await b.gql(REFRESH, { refreshToken: fresh.refreshToken }))).toEqual(['UNAUTHENTICATED']);
  });

  it('ends every session of a user on both instances with one logout(allSessions) on one of them', async () => {
    const first = await registerUser(a);
    const second = await b.gql(LOGIN, { input: { email: first.input.email, password: first.input.password } });
    const third = await a.gql(LOGIN, { input: { email: first.input.email, password: first.input.password } });
    expect((await b.gql(ME, {}, { token: third.data!.login.accessToken })).data!.me.id).toBe(first.user.id);

    const logout = await b.gql(LOGOUT, { allSessions: true }, { token: second.data!.login.accessToken });
    expect(logout.data).toEqual({ logout: true });

    for (const token of [first.accessToken, second.data!.login.accessToken, third.data!.login.accessToken]) {
      expect(codes(await a.gql(ME, {}, { token }))).toEqual(['UNAUTHENTICATED']);
      expect(codes(await b.gql(ME, {}, { token }))).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('counts failed logins for one account across both instances and locks it on both', async () => {
    const { input } = await registerUser(a);
    for (const server of [a, b, a]) {
      expect(codes(await server.gql(LOGIN, { input: { email: input.email, password: 'wrong password here' } }))).toEqual(['UNAUTHENTICATED']);
    }
    for (const server of [b, a]) {
      expect(codes(await server.gql(LOGIN, { input: { email: input.email, password: input.password } }))).toEqual(['RATE_LIMITED']);
    }
  });

  it('tells the other instance of a user change over the cluster pub/sub, so its cache never serves the old user', async () => {
    const { accessToken, user, input } = await registerUser(a);
    expect((await b.gql(ME, {}, { token: accessToken })).data!.me.name).toBe(input.name);
    await waitUntil(() => a.userChanges.live && b.userChanges.live, 5_000);

    const usersOfA = new CachedUserRepository(new PrismaUserRepository(a.database.prisma), a.userChanges, a.config.userCache);
    await a.database.pool.query('UPDATE users SET name = $1 WHERE id = $2', ['Renamed On A', user.id]);
    await usersOfA.invalidate(user.id);

    await waitUntil(async () => (await b.gql(ME, {}, { token: accessToken })).data?.me.name === 'Renamed On A', 2_000);
  });

  it('spreads the users over the masters: their keys live in different slots on different nodes', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => registerUser(a)));
    const prefix = a.config.redisKeyPrefix;
    const owners = new Set<string>();
    for (const { user } of users) {
      const slot = (await admin.cluster('KEYSLOT', `${prefix}{${user.id}}:s2`));
      const master = (await admin.cluster('SLOTS')).find(([from, to]) => slot >= from && slot <= to)?.[2];
      const [host, port] = master!;
      owners.add(`${host}:${port}`);
      const node = admin.nodes('master').find((master) => master.options.port === port)!;
      expect(await node.exists(`${prefix}{${user.id}}:s2`)).toBe(1);
    }
    expect(owners.size).toBeGreaterThanOrEqual(2);
  });
});

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// A Redis Cluster master failover under traffic (SPEC §13): two instances serve a steady mix of me,
// refresh and revoked-token probes while one master is SIGKILLed. Every answer must be right or
// SERVICE_UNAVAILABLE: never another user, never a revoked token accepted, never a 500. Its replica
// takes over and the service answers again by itself. A session whose last rotation was not yet
// replicated may lose it (Redis replicates asynchronously) and its user signs in again: that is
// allowed only for users whose keys lived on the killed master, and counted.
import { LOGIN, LOGOUT, ME, REFRESH, registerUser, type GraphQLResponse } from '../helpers/graphql';
import { realRedisClusterNodes } from '../helpers/backends';
import { startOwnCluster, type OwnCluster } from '../helpers/redis-cluster';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

// Runs where the shared cluster runs (CI, or after npm run cluster:up): it needs redis-server and redis-cli alike.
const describeOnCluster = realRedisClusterNodes() ? describe : describe.skip;
if (!realRedisClusterNodes()) console.log('redis-cluster-failover: skipped, no Redis Cluster tooling checked (start one with npm run cluster:up)');

jest.setTimeout(120_000);

interface Chain {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  /** The master holding this user's keys before the failover. */
  master: number;
  signedOut: boolean;
  /** Its last refresh answered SERVICE_UNAVAILABLE: whether it rotated is unknown to the client. */
  uncertain: boolean;
  /** A request of this user is in flight: one at a time, as one client holding one token would. */
  busy: boolean;
}

interface Tally {
  ok: number;
  unavailable: number;
  signedOut: Map<string, string>;
  failures: string[];
}

const codeOf = (response: GraphQLResponse): unknown => response.errors?.[0]?.extensions?.code;
const isUnavailable = (response: GraphQLResponse) => response.status === 503 && codeOf(response) === 'SERVICE_UNAVAILABLE';

describeOnCluster('a Redis Cluster master killed under traffic on two instances', () => {
  let cluster: OwnCluster;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    cluster = await startOwnCluster();
    a = await createTestServer({ env: { REDIS_CLUSTER_NODES: cluster.nodes } });
    b = await createTestServer({ shareWith: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await cluster?.stop();
    await releaseTestResources();
  });

  it('answers right or SERVICE_UNAVAILABLE throughout, lets the replica take over, and serves again by itself', async () => {
    const prefix = a.config.redisKeyPrefix;
    const chains: Chain[] = [];
    for (let index = 0; index < 24; index += 1) {
      const registered = await registerUser(index % 2 ? a : b);
      chains.push({
        id: registered.user.id,
        email: registered.input.email,
        password: registered.input.password,
        accessToken: registered.accessToken,
        refreshToken: registered.refreshToken,
        master: await cluster.masterOf(`${prefix}{${registered.user.id}}:sessions`),
        signedOut: false,
        uncertain: false,
        busy: false,
      });
    }
    // Sessions ended before the failover: replicated long before it, so never to be accepted again.
    const revoked: string[] = [];
    for (let index = 0; index < 6; index += 1) {
      const registered = await registerUser(a);
      expect((await b.gql(LOGOUT, {}, { token: registered.accessToken })).data).toEqual({ logout: true });
      revoked.push(registered.accessToken);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));

    const victim = chains[0]!.master;
    const roles = await cluster.roles();
    const replica = [...roles].find(([, node]) => node.role === 'replica' && node.masterPort === victim)?.[0];
    expect(roles.get(victim)?.role).toBe('master');
    expect(replica).toBeDefined();

    const tally: Tally = { ok: 0, unavailable: 0, signedOut: new Map(), failures: [] };
    let stop = false;
    const instances = [a, b];

    const step = async (worker: number, round: number): Promise<void> => {
      const chain = chains[(worker * 7 + round) % chains.length]!;
      if (chain.busy) return; // two refreshes of one token at once would be reuse, rightly
      chain.busy = true;
      try {
        await stepOn(chain, instances[(worker + round) % 2]!, round);
      } finally {
        chain.busy = false;
      }
    };

    const stepOn = async (chain: Chain, server: TestServer, round: number): Promise<void> => {
      const where = `${server === a ? 'A' : 'B'} ${chain.email}`;
      if (round % 10 === 9) {
        const response = await server.gql(ME, {}, { token: revoked[round % revoked.length] });
        if (codeOf(response) === 'UNAUTHENTICATED' || isUnavailable(response)) tally.ok += isUnavailable(response) ? 0 : 1;
        else tally.failures.push(`revoked token: ${response.status} ${response.text}`);
        if (isUnavailable(response)) tally.unavailable += 1;
        return;
      }
      if (chain.signedOut) {
        const response = await server.gql(LOGIN, { input: { email: chain.email, password: chain.password } });
        if (isUnavailable(response)) tally.unavailable += 1;
        else if (response.data?.login?.user.id === chain.id) {
          Object.assign(chain, { accessToken: response.data.login.accessToken, refreshToken: response.data.login.refreshToken, signedOut: false, uncertain: false });
          tally.ok += 1;
        } else tally.failures.push(`login ${where}: ${response.status} ${response.text}`);
        return;
      }
      const refreshing = round % 3 === 0;
      const response = refreshing ? await server.gql(REFRESH, { refreshToken: chain.refreshToken }) : await server.gql(ME, {}, { token: chain.accessToken });
      if (isUnavailable(response)) {
        tally.unavailable += 1;
        if (refreshing) chain.uncertain = true;
        return;
      }
      if (codeOf(response) === 'UNAUTHENTICATED') {
        // A rotation lost with the killed master, or one that ran although its answer was SERVICE_UNAVAILABLE
        // (a time-out): the only two ways a live session may end here.
        const why = chain.master === victim ? 'killed master' : chain.uncertain ? 'refresh answered 503' : 'NO REASON';
        tally.signedOut.set(`${where} ${refreshing ? 'refresh' : 'me'}: ${response.errors?.[0]?.message}`, why);
        chain.signedOut = true;
        return;
      }
      const user = refreshing ? response.data?.refresh?.user : response.data?.me;
      if (response.status !== 200 || response.errors || user?.id !== chain.id) {
        tally.failures.push(`${refreshing ? 'refresh' : 'me'} ${where}: ${response.status} ${response.text}`);
        return;
      }
      if (refreshing) Object.assign(chain, { accessToken: response.data!.refresh.accessToken, refreshToken: response.data!.refresh.refreshToken, uncertain: false });
      tally.ok += 1;
    };

    const workers = Array.from({ length: 4 }, async (_, worker) => {
      for (let round = 0; !stop; round += 1) {
        await step(worker, round);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    });

    let before = { ok: 0, unavailable: 0 };
    let promotedMs = -1;
    let recoveredMs = -1;
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      before = { ok: tally.ok, unavailable: tally.unavailable };
      const killedAt = Date.now();
      cluster.kill(victim);

      // The replica is promoted and serves the slots, with no help from us.
      while (Date.now() - killedAt < 30_000 && promotedMs < 0) {
        const now = await cluster.roles().catch(() => undefined);
        if (now?.get(replica!)?.role === 'master' && now.get(replica!)?.slots) promotedMs = Date.now() - killedAt;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Then service returns by itself: a full second in which nothing answers SERVICE_UNAVAILABLE and nobody is signed out.
      while (Date.now() - killedAt < 45_000 && promotedMs > 0 && recoveredMs < 0) {
        const unavailable = tally.unavailable;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        if (tally.unavailable === unavailable && chains.every((chain) => !chain.signedOut)) recoveredMs = Date.now() - killedAt - 1_000;
      }
    } finally {
      stop = true;
      await Promise.all(workers);
    }

    console.log(
      `failover: master ${victim} SIGKILLed after ${before.ok} right answers; replica ${replica} promoted in ${promotedMs} ms; ` +
        `service back within ${recoveredMs} ms; ${tally.ok} right, ${tally.unavailable} SERVICE_UNAVAILABLE, ` +
        `${tally.signedOut.size} sessions signed out (${[...tally.signedOut.values()].filter((why) => why === 'killed master').length} on the killed master), ${tally.failures.length} wrong`,
    );
    expect(tally.failures).toEqual([]);
    expect(before.unavailable).toBe(0);
    expect(promotedMs).toBeGreaterThan(0);
    expect(recoveredMs).toBeGreaterThanOrEqual(0);
    // Only sessions on the killed master can lose anything.
    expect([...tally.signedOut].filter(([, why]) => why === 'NO REASON')).toEqual([]);

    // After the failover both instances serve every user, and revoked tokens stay refused.
    for (const chain of chains) {
      for (const server of instances) expect((await server.gql(ME, {}, { token: chain.accessToken })).data?.me.id).toBe(chain.id);
    }
    for (const token of revoked) expect(codeOf(await a.gql(ME, {}, { token }))).toBe('UNAUTHENTICATED');
  });
});

// Key rotation without downtime (docs/tokens-and-sessions.md, "Rotating keys"): two instances sharing PostgreSQL and Redis are
// restarted one at a time through publish → switch signing → retire, with traffic running throughout.
import { jwkThumbprint } from '../../src/auth/keys';
import { ME, REFRESH, registerUser } from '../helpers/graphql';
import { keyEnv, newKeyPair, type KeyPair } from '../helpers/keys';
import { decodeJwt } from '../helpers/tokens';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const ALGORITHM = 'ES256';
const WORKERS = 4;
const access1 = newKeyPair(ALGORITHM);
const refresh1 = newKeyPair(ALGORITHM);
const access2 = newKeyPair(ALGORITHM);
const refresh2 = newKeyPair(ALGORITHM);
const kid = (pair: KeyPair) => jwkThumbprint(pair.publicKey);

/** The configuration of each step, as an operator would deploy it. */
const STEPS = {
  before: keyEnv(ALGORITHM, { access: access1, refresh: refresh1 }),
  publish: keyEnv(ALGORITHM, { access: access1, refresh: refresh1, accessPublished: [access2], refreshPublished: [refresh2] }),
  switch: keyEnv(ALGORITHM, { access: access2, refresh: refresh2, accessPublished: [access1], refreshPublished: [refresh1] }),
  retire: keyEnv(ALGORITHM, { access: access2, refresh: refresh2 }),
};

interface Instance {
  server: TestServer;
  inFlight: number;
}

interface Session {
  userId: string;
  accessToken: string;
  refreshToken: string;
}

const live: Instance[] = [];
const retired: TestServer[] = [];
let turn = 0;
afterAll(async () => {
  for (const instance of live) await instance.server.close();
  await releaseTestResources();
});

/** Round-robin over the live instances; the counter makes a restart wait for requests it already took. */
async function onSomeInstance<T>(request: (server: TestServer) => Promise<T>): Promise<T> {
  const instance = live[turn++ % live.length]!;
  instance.inFlight += 1;
  try {
    return await request(instance.server);
  } finally {
    instance.inFlight -= 1;
  }
}

/** A rolling restart: one instance at a time is replaced by one on the new configuration. */
async function rollTo(env: Record<string, string>): Promise<void> {
  for (let index = 0; index < live.length; index += 1) {
    const old = live[index]!;
    const replacement = await createTestServer({ shareWith: old.server, env });
    live[index] = { server: replacement, inFlight: 0 };
    while (old.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await old.server.close();
    retired.push(old.server);
    await trafficFor(25);
  }
}

const failures: string[] = [];
const kidsSeen = { access: new Set<string>(), refresh: new Set<string>() };
let requests = 0;
let running = true;

/** One client: calls me with its access token, and refreshes every third request (rotating its session). */
async function client(session: Session): Promise<void> {
  for (let count = 1; running; count += 1) {
    if (count % 3 === 0) {
      const response = await onSomeInstance((server) => server.gql(REFRESH, { refreshToken: session.refreshToken }));
      const payload = response.data?.refresh;
      if (response.status !== 200 || response.errors || !payload) {
        failures.push(`refresh: ${response.status} ${response.text}`);
        return;
      }
      session.accessToken = payload.accessToken;
      session.refreshToken = payload.refreshToken;
      kidsSeen.access.add(decodeJwt(payload.accessToken).header.kid);
      kidsSeen.refresh.add(decodeJwt(payload.refreshToken).header.kid);
    } else {
      const response = await onSomeInstance((server) => server.gql(ME, {}, { token: session.accessToken }));
      if (response.status !== 200 || response.errors || response.data?.me.id !== session.userId) failures.push(`me: ${response.status} ${response.text}`);
    }
    requests += 1;
  }
}

async function trafficFor(count: number): Promise<void> {
  const target = requests + count;
  while (requests < target && failures.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
}

it('rotates access and refresh keys across two instances with traffic running: no request fails, and retired keys are refused', async () => {
  const first = await createTestServer({ env: STEPS.before });
  live.push({ server: first, inFlight: 0 }, { server: await createTestServer({ shareWith: first, env: STEPS.before }), inFlight: 0 });
  const sessions: Session[] = [];
  for (let index = 0; index < WORKERS; index += 1) {
    const { user, accessToken, refreshToken } = await registerUser(first);
    sessions.push({ userId: user.id, accessToken, refreshToken });
  }
  // A user who stays idle through the rotation: their tokens were signed with the first keys.
  const sleeper = await registerUser(first);
  const workers = sessions.map((session) => client(session));

  await trafficFor(25);
  await rollTo(STEPS.publish);
  expect(kidsSeen.access).toEqual(new Set([kid(access1)]));
  await rollTo(STEPS.switch);
  // Tokens signed with the first keys still work during the switch: the sleeper's included.
  const sleeperDuringSwitch = await onSomeInstance((server) => server.gql(ME, {}, { token: sleeper.accessToken }));
  expect(sleeperDuringSwitch.data?.me.id).toBe(sleeper.user.id);
  // Retire only once every token signed with the old keys has expired: here, once each client has refreshed on new keys.
  await trafficFor(6 * WORKERS);
  await rollTo(STEPS.retire);
  await trafficFor(25);
  running = false;
  await Promise.all(workers);

  expect(failures).toEqual([]);
  expect(requests).toBeGreaterThan(150);
  expect(kidsSeen.access).toEqual(new Set([kid(access1), kid(access2)]));
  expect(kidsSeen.refresh).toEqual(new Set([kid(refresh1), kid(refresh2)]));
  expect(retired).toHaveLength(6);

  // After retirement the sleeper's session is live, but its tokens name a key no instance accepts.
  for (const { server } of live) {
    const meResponse = await server.gql(ME, {}, { token: sleeper.accessToken });
    expect(meResponse.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(meResponse.data).toBeNull();
    expect(await server.sessions.ownerOf(decodeJwt(sleeper.accessToken).payload.sid, sleeper.user.id)).toBe(sleeper.user.id);
  }
  const refreshed = await live[0]!.server.gql(REFRESH, { refreshToken: sleeper.refreshToken });
  expect(refreshed.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(refreshed.data).toBeNull();
  expect(refreshed.cookies.access_token?.value ?? '').toBe('');
});

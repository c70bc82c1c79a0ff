// Attack: telling registered emails from unknown ones by how long a failed login takes (SPEC §8).
// A benchmark-style measurement with a generous bound, not a tight timer: interleaved samples, medians.
import { performance } from 'node:perf_hooks';
import { CountingHasher } from '../../helpers/counting-hasher';
import { LOGIN, newUser, registerUser } from '../../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../../helpers/test-server';

const SAMPLES = 15;

// High per-account limit: these tests fail one account's login many times on purpose.
const ENV = { RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000' };

let server: TestServer;
const servers: TestServer[] = [];
beforeAll(async () => {
  server = await createTestServer({ env: ENV });
  servers.push(server);
});
afterAll(async () => {
  for (const each of servers) await each.close();
  await releaseTestResources();
});

/** The real hasher, except that unknown emails skip the dummy verify: the flaw the measurement must catch. */
class NoDummyHasher extends CountingHasher {
  override verifyDummy(): Promise<void> {
    return Promise.resolve();
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function timedLogin(email: string, password: string, target = server): Promise<number> {
  const started = performance.now();
  const response = await target.gql(LOGIN, { input: { email, password } });
  const elapsed = performance.now() - started;
  expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  return elapsed;
}

/** Medians of interleaved unknown-email and wrong-password logins. */
async function measure(target: TestServer): Promise<{ unknown: number; wrong: number }> {
  const { input } = await registerUser(target);
  const unknown: number[] = [];
  const wrong: number[] = [];
  await timedLogin(newUser().email, 'warm up once', target); // the first request of a server pays for lazy set-up

  for (let i = 0; i < SAMPLES; i += 1) {
    unknown.push(await timedLogin(newUser().email, `guess ${i}`, target));
    wrong.push(await timedLogin(input.email, `guess ${i}`, target));
  }
  return { unknown: median(unknown), wrong: median(wrong) };
}

it('makes an unknown-email login cost at least 0.6 × a wrong-password login (medians of interleaved samples)', async () => {
  const { unknown, wrong } = await measure(server);

  expect(unknown).toBeGreaterThanOrEqual(0.6 * wrong);
});

it('tells the difference when unknown emails skip the dummy hash (the measurement can fail)', async () => {
  const flawed = await createTestServer({ env: ENV, hasher: new NoDummyHasher() });
  servers.push(flawed);

  const { unknown, wrong } = await measure(flawed);

  // Without the dummy hash an unknown email answers in a few ms against ~30 ms for argon2.
  expect(unknown).toBeLessThan(0.6 * wrong);
});

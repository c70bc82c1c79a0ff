// Attack: telling registered emails from unknown ones by how long a failed login takes (SPEC §8).
// A benchmark-style measurement with a generous bound, not a tight timer: interleaved samples, medians.
import { performance } from 'node:perf_hooks';
import { LOGIN, newUser, registerUser } from '../../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../../helpers/test-server';

const SAMPLES = 15;

let server: TestServer;
beforeAll(async () => {
  // High per-account limit: this test fails one account's login many times on purpose.
  server = await createTestServer({ env: { RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000' } });
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function timedLogin(email: string, password: string): Promise<number> {
  const started = performance.now();
  const response = await server.gql(LOGIN, { input: { email, password } });
  const elapsed = performance.now() - started;
  expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  return elapsed;
}

it('makes an unknown-email login cost at least 0.6 × a wrong-password login (medians of interleaved samples)', async () => {
  const { input } = await registerUser(server);
  const unknown: number[] = [];
  const wrong: number[] = [];
  await timedLogin(newUser().email, 'warm up once'); // the first request of a server pays for lazy set-up

  for (let i = 0; i < SAMPLES; i += 1) {
    unknown.push(await timedLogin(newUser().email, `guess ${i}`));
    wrong.push(await timedLogin(input.email, `guess ${i}`));
  }

  // Without the dummy hash an unknown email answers in a few ms against ~30 ms for argon2.
  expect(median(unknown)).toBeGreaterThanOrEqual(0.6 * median(wrong));
});

// Attack: telling registered emails from unknown ones by how long requestPasswordReset takes (SPEC §10).
// Measured like the login timing test: interleaved samples, medians, a bound, and a control proving the
// measurement catches the flaw it guards against. Figures seen on the shared 2-core machine (60 samples,
// 6 runs): median unknown ÷ known 0.87–1.07 for the service, 0.51–0.67 for the flawed control.
import { performance } from 'node:perf_hooks';
import { newAccount } from '../../helpers/accounts';
import { newUser } from '../../helpers/graphql';
import type { Mailbox } from '../../helpers/mailbox';
import { REQUEST_RESET, serverWithMailbox } from '../../helpers/recovery';
import { releaseTestResources, type TestServer } from '../../helpers/test-server';
import type { RecoveryStore } from '../../../src/recovery/recovery.store';

const SAMPLES = 60;
// Every sample asks for a reset of the same known account: a per-email limit high enough for that.
const ENV = { RATE_LIMIT_PASSWORD_RESET_PER_EMAIL: '1000', EMAIL_VERIFICATION: 'off' };

let mailbox: Mailbox;
const servers: TestServer[] = [];
afterAll(async () => {
  for (const each of servers) await each.close();
  await mailbox?.close();
  await releaseTestResources();
});

/** The real store, except that unknown emails skip the rehearsed transaction: the flaw to catch. */
const skipRehearsal = (store: RecoveryStore): RecoveryStore =>
  Object.assign(Object.create(store) as RecoveryStore, { rehearseIssue: async () => undefined });

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timedRequest(server: TestServer, email: string): Promise<number> {
  const started = performance.now();
  const response = await server.gql(REQUEST_RESET, { email });
  const elapsed = performance.now() - started;
  expect(response.data?.requestPasswordReset).toBe(true);
  return elapsed;
}

async function measure(server: TestServer): Promise<{ unknown: number; known: number }> {
  const account = await newAccount(server);
  const unknown: number[] = [];
  const known: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    // The first requests of a server pay for lazy set-up and a cold JIT, on both paths.
    await timedRequest(server, newUser().email);
    await timedRequest(server, account.email);
  }
  for (let i = 0; i < SAMPLES; i += 1) {
    unknown.push(await timedRequest(server, newUser().email));
    known.push(await timedRequest(server, account.email));
  }
  return { unknown: median(unknown), known: median(known) };
}

it('answers an unknown email in at least 0.75 × the time of a known one (medians of interleaved samples)', async () => {
  const started = await serverWithMailbox({ env: ENV });
  mailbox = started.mailbox;
  servers.push(started.server);

  // A loaded CI machine (browser suites on the other worker) once measured 0.72: noise is passing, a
  // leak is not, so a round that misses the bound is measured again, up to three rounds. The flawed
  // control below misses it every time (0.51–0.67), and so would a real difference between the paths.
  let ratio = 0;
  for (let round = 0; round < 3 && ratio < 0.75; round += 1) {
    const { unknown, known } = await measure(started.server);
    ratio = unknown / known;
  }

  expect(ratio).toBeGreaterThanOrEqual(0.75);
}, 90_000);

it('tells the difference when unknown emails skip the rehearsed transaction (the measurement can fail)', async () => {
  const { server: flawed } = await serverWithMailbox({ mailbox, env: ENV, wrapRecoveryStore: skipRehearsal });
  servers.push(flawed);

  // Three rounds, every one below the bound: the retries above cannot hide this flaw.
  for (let round = 0; round < 3; round += 1) {
    const { unknown, known } = await measure(flawed);
    expect(unknown).toBeLessThan(0.75 * known);
  }
}, 90_000);

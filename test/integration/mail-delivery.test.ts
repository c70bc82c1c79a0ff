// The mail queue under faults (SPEC §10), against a real SMTP server and real PostgreSQL: SMTP down,
// SMTP refusing, PostgreSQL cut mid-request, two instances on one queue, shutdown with mail in flight.
import { codeOf, newAccount, type Account } from '../helpers/accounts';
import { createTestDatabase, newRedisPrefix, realPostgresUrl } from '../helpers/backends';
import { GatedHasher } from '../helpers/gated-hasher';
import { LOGIN } from '../helpers/graphql';
import { startMailbox, type Mailbox } from '../helpers/mailbox';
import { auditTypes, eventually, REQUEST_RESET, RESET_PASSWORD, serverWithMailbox } from '../helpers/recovery';
import { startTcpProxy } from '../helpers/tcp-proxy';
import { releaseTestResources, type TestServer } from '../helpers/test-server';

let mailbox: Mailbox;
let server: TestServer;
const closers: Array<() => Promise<void>> = [];
/** Every instance this file starts, to silence their workers where one instance must hold the mail. */
const instances: TestServer[] = [];
beforeAll(async () => {
  mailbox = await startMailbox();
  ({ server } = await serverWithMailbox({ mailbox, env: { EMAIL_VERIFICATION: 'off' } }));
  closers.push(() => server.close());
  instances.push(server);
});
afterEach(() => {
  mailbox.refuseWith = undefined;
  return mailbox.up();
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await mailbox.close();
  await releaseTestResources();
});

const resetMailsTo = (account: Pick<Account, 'email'>) => mailbox.to(account.email).filter((mail) => mail.subject === 'Reset your password');
const attemptsTo = (account: Pick<Account, 'email'>) => mailbox.recipients.filter((address) => address === account.email).length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('keeps the mail while SMTP is down and delivers it once SMTP is back', async () => {
  const account = await newAccount(server);
  await mailbox.down();

  expect((await server.gql(REQUEST_RESET, { email: account.email })).data?.requestPasswordReset).toBe(true);
  await sleep(2_500); // a few failed attempts (first retry after ~1 s)
  expect(resetMailsTo(account)).toEqual([]);
  await mailbox.up();

  const mail = await mailbox.waitFor((m) => m.to === account.email, { timeoutMs: 20_000 });
  expect((await server.gql(RESET_PASSWORD, { token: mail.token, newPassword: 'a brand new passphrase' })).data?.resetPassword).toBe(true);
  expect(resetMailsTo(account)).toHaveLength(1);
});

it('stops at a permanent 5xx refusal: one attempt, no retry storm, logged and audited as MAIL_FAILED', async () => {
  const account = await newAccount(server);
  mailbox.refuseWith = 550;

  await server.gql(REQUEST_RESET, { email: account.email });
  const types = await eventually(() => auditTypes(server, account.id), (seen) => seen.includes('MAIL_FAILED:FAILURE'));
  await sleep(4_000); // several retry delays: none may come

  expect(types).toContain('MAIL_FAILED:FAILURE');
  expect(attemptsTo(account)).toBe(1);
  expect(resetMailsTo(account)).toEqual([]);
  const { rows } = await server.database.pool.query(`SELECT reason FROM auth_events WHERE user_id = $1 AND type = 'MAIL_FAILED'`, [account.id]);
  expect(rows).toEqual([{ reason: 'reset-password: refused: SMTP 550' }]);
});

it('gives up after MAIL_MAX_ATTEMPTS transient failures and audits it', async () => {
  const { server: few } = await serverWithMailbox({ mailbox, shareWith: server, env: { MAIL_MAX_ATTEMPTS: '2', REDIS_KEY_PREFIX: newRedisPrefix() } });
  closers.push(() => few.close());
  instances.push(few);
  const account = await newAccount(few);
  mailbox.refuseWith = 451; // "try again later"

  await few.gql(REQUEST_RESET, { email: account.email });
  const types = await eventually(() => auditTypes(few, account.id), (seen) => seen.includes('MAIL_FAILED:FAILURE'), 15_000);

  expect(types).toContain('MAIL_FAILED:FAILURE');
  await sleep(3_000);
  expect(attemptsTo(account)).toBe(2); // the policy of the instance that queued it, whichever worker tried
});

it('delivers each mail exactly once when two instances drain one queue', async () => {
  const { server: second } = await serverWithMailbox({ mailbox, shareWith: server, env: { EMAIL_VERIFICATION: 'off' } });
  closers.push(() => second.close());
  instances.push(second);
  const accounts = await Promise.all(Array.from({ length: 16 }, (_, i) => newAccount(i % 2 ? second : server)));
  await mailbox.down(); // the mails pile up as retries, which both workers then poll for

  await Promise.all(accounts.map((account, i) => (i % 2 ? server : second).gql(REQUEST_RESET, { email: account.email })));
  await sleep(1_500);
  await mailbox.up();
  await eventually(async () => accounts.filter((account) => resetMailsTo(account).length > 0).length, (n) => n === accounts.length, 25_000);
  await sleep(3_000); // time for a duplicate to show up, if there were one

  for (const account of accounts) expect(resetMailsTo(account)).toHaveLength(1);
}, 60_000);

(realPostgresUrl() ? describe : describe.skip)('PostgreSQL down during a request', () => {
  it('answers SERVICE_UNAVAILABLE for a reset cut mid-way and changes nothing: old password, token and no notice', async () => {
    const hasher = new GatedHasher();
    const databaseUrl = server.env.DATABASE_URL!;
    const proxy = await startTcpProxy({ host: new URL(databaseUrl).hostname, port: Number(new URL(databaseUrl).port) });
    closers.push(() => proxy.close());
    const { server: cut } = await serverWithMailbox({ mailbox, hasher, databaseUrl: proxy.proxied(databaseUrl), env: { EMAIL_VERIFICATION: 'off' } });
    closers.push(() => cut.close());
  instances.push(cut);
    const account = await newAccount(cut);
    await cut.gql(REQUEST_RESET, { email: account.email });
    const token = (await mailbox.waitFor((m) => m.to === account.email)).token!;

    const gate = hasher.hold('hash');
    const pending = cut.gql(RESET_PASSWORD, { token, newPassword: 'a brand new passphrase' });
    await gate.reached; // the token was checked, the new hash is ready: the write comes next
    await proxy.cut('refuse');
    gate.release();
    const failed = await pending;

    expect(failed.status).toBe(503);
    expect(codeOf(failed)).toBe('SERVICE_UNAVAILABLE');
    await proxy.restore();
    await eventually(async () => (await fetch(new URL('/ready', cut.origin))).status, (status) => status === 200, 10_000);
    expect((await cut.gql(LOGIN, { input: { email: account.email, password: account.password } })).data?.login.user.id).toBe(account.id);
    expect(mailbox.to(account.email).filter((m) => m.subject === 'Your password was changed')).toEqual([]);
    expect((await cut.gql(RESET_PASSWORD, { token, newPassword: 'a brand new passphrase' })).data?.resetPassword).toBe(true);
  });

  it('answers SERVICE_UNAVAILABLE for a reset request while PostgreSQL is cut, and leaves no token and no mail', async () => {
    const databaseUrl = server.env.DATABASE_URL!;
    const proxy = await startTcpProxy({ host: new URL(databaseUrl).hostname, port: Number(new URL(databaseUrl).port) });
    closers.push(() => proxy.close());
    const { server: cut } = await serverWithMailbox({ mailbox, databaseUrl: proxy.proxied(databaseUrl), env: { EMAIL_VERIFICATION: 'off' } });
    closers.push(() => cut.close());
  instances.push(cut);
    const account = await newAccount(cut);
    await proxy.cut('refuse');

    const failed = await cut.gql(REQUEST_RESET, { email: account.email });

    expect(failed.status).toBe(503);
    expect(codeOf(failed)).toBe('SERVICE_UNAVAILABLE');
    await proxy.restore();
    const { rows } = await server.database.pool.query(`SELECT count(*)::int AS n FROM one_time_tokens WHERE user_id = $1`, [account.id]);
    expect(rows[0].n).toBe(0);
    await sleep(1_500);
    expect(resetMailsTo(account)).toEqual([]);
  });
});

it('queues no token without its mail: a mail the queue refuses rolls the token back', async () => {
  const account = await newAccount(server);
  const pool = server.database.pool;
  await pool.query(`CREATE FUNCTION refuse_mail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'queue refuses'; END $$`);
  await pool.query(`CREATE TRIGGER refuse_mail BEFORE INSERT ON pgboss.job FOR EACH ROW EXECUTE FUNCTION refuse_mail()`);
  try {
    const response = await server.gql(REQUEST_RESET, { email: account.email });
    expect(codeOf(response)).toBe('INTERNAL_SERVER_ERROR');
  } finally {
    await pool.query(`DROP TRIGGER refuse_mail ON pgboss.job`);
    await pool.query(`DROP FUNCTION refuse_mail()`);
  }
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM one_time_tokens WHERE user_id = $1`, [account.id]);
  expect(rows[0].n).toBe(0);
});

(realPostgresUrl() ? it : it.skip)('delivers mail queued before the JWT keys were replaced: it is sealed with DATA_ENCRYPTION_KEY, not a signing key', async () => {
  // A database of its own, so that only the instances of this test drain its queue.
  const database = await createTestDatabase();
  closers.push(() => database.drop());
  const { server: before } = await serverWithMailbox({ mailbox, databaseUrl: database.url, env: { EMAIL_VERIFICATION: 'off' } });
  const account = await newAccount(before);
  await mailbox.down();
  expect((await before.gql(REQUEST_RESET, { email: account.email })).data?.requestPasswordReset).toBe(true);
  await before.close(); // it leaves with the mail still queued

  const replaced = { JWT_SECRET: 'replaced-access-secret-0123456789abcdef-0123456', JWT_REFRESH_SECRET: 'replaced-refresh-secret-0123456789abcdef-012345' };
  const { server: after } = await serverWithMailbox({ mailbox, databaseUrl: database.url, env: { EMAIL_VERIFICATION: 'off', ...replaced } });
  closers.push(() => after.close());
  await mailbox.up();
  const mail = await mailbox.waitFor((m) => m.to === account.email, { timeoutMs: 20_000 });
  expect((await after.gql(RESET_PASSWORD, { token: mail.token, newPassword: 'a brand new passphrase' })).data?.resetPassword).toBe(true);
  expect(await auditTypes(after, account.id)).not.toContain('MAIL_FAILED:FAILURE');
}, 40_000);

it('finishes the mail in flight before shutdown completes', async () => {
  // The leaving instance must be the one holding the mail: every other worker stops (last test of the file).
  await Promise.all(instances.map((instance) => instance.app.mail.stop()));
  const { server: leaving } = await serverWithMailbox({ mailbox, shareWith: server, env: { EMAIL_VERIFICATION: 'off' } });
  const account = await newAccount(leaving);
  mailbox.delayMs = 1_500;
  const started = mailbox.attempts;

  await leaving.gql(REQUEST_RESET, { email: account.email });
  await eventually(async () => mailbox.attempts, (n) => n > started, 5_000);
  await leaving.close();

  expect(resetMailsTo(account)).toHaveLength(1);
  mailbox.delayMs = 0;
});

// Pre-account takeover: someone registers an address that is not theirs, adds a passkey, a provider
// account or a second factor, and waits. When the owner proves the address with a password reset, they
// get the account without those; an address that was already proved keeps its factors. And with
// EMAIL_VERIFICATION=required an unverified account is refused before a second factor is asked.
import { newAccount, type Account } from '../../helpers/accounts';
import { LOGIN } from '../../helpers/graphql';
import type { Mailbox } from '../../helpers/mailbox';
import { enrollTotp, mfaChallengeOf, movableClock } from '../../helpers/mfa';
import { REQUEST_RESET, RESET_PASSWORD, serverWithMailbox } from '../../helpers/recovery';
import { releaseTestResources, type TestServer } from '../../helpers/test-server';

const clock = movableClock();
let server: TestServer;
let mailbox: Mailbox;
const servers: TestServer[] = [];

beforeAll(async () => {
  ({ server, mailbox } = await serverWithMailbox({ clock, env: { USER_CACHE_TTL: '0' } }));
  servers.push(server);
});
afterAll(async () => {
  for (const each of servers) await each.close();
  await mailbox.close();
  await releaseTestResources();
});

const NEW_PASSWORD = 'the owner’s own passphrase';

/** What the squatter adds: TOTP through the API, a passkey and a provider link as the rows those flows write. */
async function addFactors(target: TestServer, account: Account): Promise<void> {
  await enrollTotp(target, account, clock);
  const pool = target.database.pool;
  await pool.query(
    `INSERT INTO passkeys (id, user_id, credential_id, public_key, device_type, name) VALUES (gen_random_uuid(), $1, $2, '\\x01', 'multiDevice', 'Squatter key')`,
    [account.id, `cred-${account.id}`],
  );
  await pool.query(`INSERT INTO linked_accounts (id, user_id, provider, subject) VALUES (gen_random_uuid(), $1, 'corp', $2)`, [account.id, `sub-${account.id}`]);
}

async function factorCounts(target: TestServer, userId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ['passkeys', 'linked_accounts', 'totp_factors', 'recovery_codes']) {
    const { rows } = await target.database.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE user_id = $1`, [userId]);
    counts[table] = Number(rows[0]!.n);
  }
  return counts;
}

async function resetAsOwner(account: Account): Promise<void> {
  const before = mailbox.received.length;
  expect((await server.gql(REQUEST_RESET, { email: account.email })).data?.requestPasswordReset).toBe(true);
  const mail = await mailbox.waitFor((m) => m.to === account.email && m.subject === 'Reset your password' && mailbox.received.indexOf(m) >= before);
  const reset = await server.gql(RESET_PASSWORD, { token: mail.token, newPassword: NEW_PASSWORD });
  expect(reset.errors).toBeUndefined();
}

describe('a password reset by the owner of an unproved address', () => {
  it('removes the passkeys, provider links, TOTP factor and recovery codes added before the address was proved', async () => {
    const squatted = await newAccount(server); // emailVerified false: nobody has clicked a link
    await addFactors(server, squatted);
    expect(await factorCounts(server, squatted.id)).toEqual({ passkeys: 1, linked_accounts: 1, totp_factors: 1, recovery_codes: 10 });

    await resetAsOwner(squatted);

    expect(await factorCounts(server, squatted.id)).toEqual({ passkeys: 0, linked_accounts: 0, totp_factors: 0, recovery_codes: 0 });
    const login = await server.gql(LOGIN, { input: { email: squatted.email, password: NEW_PASSWORD } });
    expect(login.errors).toBeUndefined(); // no second factor left that the owner never set up
    expect(login.data!.login.user.id).toBe(squatted.id);
  });

  it('keeps every factor when the address was already proved: the owner added them', async () => {
    const owned = await newAccount(server);
    await server.database.pool.query(`UPDATE users SET email_verified = true WHERE id = $1`, [owned.id]);
    await addFactors(server, owned);

    await resetAsOwner(owned);

    expect(await factorCounts(server, owned.id)).toEqual({ passkeys: 1, linked_accounts: 1, totp_factors: 1, recovery_codes: 10 });
    expect(mfaChallengeOf(await server.gql(LOGIN, { input: { email: owned.email, password: NEW_PASSWORD } })).methods).toContain('TOTP');
  });
});

describe('EMAIL_VERIFICATION=required', () => {
  it('refuses an unverified account with TOTP at the password step (EMAIL_NOT_VERIFIED), before any code is asked', async () => {
    const { server: lenient } = await serverWithMailbox({ clock, mailbox, env: { USER_CACHE_TTL: '0', EMAIL_VERIFICATION: 'optional' } });
    servers.push(lenient);
    const account = await newAccount(lenient);
    await enrollTotp(lenient, account, clock);
    // The same database under EMAIL_VERIFICATION=required, the account still unverified.
    const { server: required } = await serverWithMailbox({ clock, mailbox, shareWith: lenient, env: { USER_CACHE_TTL: '0', EMAIL_VERIFICATION: 'required' } });
    servers.push(required);

    const login = await required.gql(LOGIN, { input: { email: account.email, password: account.password } });

    expect(login.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'EMAIL_NOT_VERIFIED' });
    expect(login.errors?.[0]?.extensions?.mfaToken).toBeUndefined();
    expect(login.cookies.access_token).toBeUndefined();
  });
});

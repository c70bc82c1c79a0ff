// Attacks on the link tokens of SPEC §10: every refused token answers BAD_USER_INPUT on `token` and
// changes nothing (the real token still works afterwards); one token is consumed at most once.
import { codeOf, logIn, newAccount, type Account } from '../../helpers/accounts';
import { LOGIN } from '../../helpers/graphql';
import type { Mailbox } from '../../helpers/mailbox';
import { CONFIRM_EMAIL_CHANGE, ME_VERIFIED, REQUEST_EMAIL_CHANGE, REQUEST_RESET, RESEND_VERIFICATION, RESET_PASSWORD, serverWithMailbox, VERIFY_EMAIL } from '../../helpers/recovery';
import { newUser } from '../../helpers/graphql';
import { newRedisPrefix } from '../../helpers/backends';
import { releaseTestResources, type TestServer } from '../../helpers/test-server';
import type { GraphQLResponse } from '../../helpers/graphql';

let server: TestServer;
let mailbox: Mailbox;
const servers: TestServer[] = [];
beforeAll(async () => {
  ({ server, mailbox } = await serverWithMailbox());
  servers.push(server);
});
afterAll(async () => {
  for (const each of servers) await each.close();
  await mailbox.close();
  await releaseTestResources();
});

const NEW_PASSWORD = 'a brand new passphrase';

function expectRefusedToken(response: GraphQLResponse): void {
  expect(response.status).toBe(200);
  expect(codeOf(response)).toBe('BAD_USER_INPUT');
  expect(response.errors?.[0]?.extensions?.fields).toEqual([{ field: 'token', message: 'is invalid, used or expired' }]);
}

async function resetToken(account: Account, target = server): Promise<string> {
  const before = mailbox.received.length;
  await target.gql(REQUEST_RESET, { email: account.email });
  const mail = await mailbox.waitFor((m) => mailbox.received.indexOf(m) >= before && m.to === account.email && m.subject === 'Reset your password');
  return mail.token!;
}

const verifyToken = async (account: Account): Promise<string> => (await mailbox.waitFor(account.email)).token!;

async function stillHasOldPassword(account: Account): Promise<void> {
  expect((await server.gql(LOGIN, { input: { email: account.email, password: account.password } })).data?.login.user.id).toBe(account.id);
}

it('refuses garbage, truncated, extended and look-alike tokens at every link mutation, and the real token still works', async () => {
  const account = await newAccount(server);
  const verify = await verifyToken(account);
  const reset = await resetToken(account);
  const forged = (token: string) => [
    '',
    'x',
    'not a token at all',
    "' OR 1=1 --",
    'A'.repeat(43), // the right shape, but nobody's
    token.slice(0, -1),
    `${token}A`,
    token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase(),
    'x'.repeat(100_000),
  ];

  for (const bad of forged(verify)) expectRefusedToken(await server.gql(VERIFY_EMAIL, { token: bad }));
  for (const bad of forged(reset)) expectRefusedToken(await server.gql(RESET_PASSWORD, { token: bad, newPassword: NEW_PASSWORD }));
  for (const bad of forged(reset)) expectRefusedToken(await server.gql(CONFIRM_EMAIL_CHANGE, { token: bad }));

  await stillHasOldPassword(account);
  expect((await server.gql(VERIFY_EMAIL, { token: verify })).errors).toBeUndefined();
  expect((await server.gql(RESET_PASSWORD, { token: reset, newPassword: NEW_PASSWORD })).data?.resetPassword).toBe(true);
});

it('never accepts a token for another purpose, and does not use it up', async () => {
  const account = await newAccount(server);
  const verify = await verifyToken(account);
  const reset = await resetToken(account);

  expectRefusedToken(await server.gql(VERIFY_EMAIL, { token: reset }));
  expectRefusedToken(await server.gql(CONFIRM_EMAIL_CHANGE, { token: reset }));
  expectRefusedToken(await server.gql(RESET_PASSWORD, { token: verify, newPassword: NEW_PASSWORD }));
  expectRefusedToken(await server.gql(CONFIRM_EMAIL_CHANGE, { token: verify }));

  await stillHasOldPassword(account);
  expect((await server.gql(ME_VERIFIED, {}, { token: account.accessToken })).data?.me.emailVerified).toBe(false);
  expect((await server.gql(VERIFY_EMAIL, { token: verify })).errors).toBeUndefined();
  expect((await server.gql(RESET_PASSWORD, { token: reset, newPassword: NEW_PASSWORD })).data?.resetPassword).toBe(true);
});

it('refuses a reused token', async () => {
  const account = await newAccount(server);
  const reset = await resetToken(account);
  expect((await server.gql(RESET_PASSWORD, { token: reset, newPassword: NEW_PASSWORD })).data?.resetPassword).toBe(true);

  expectRefusedToken(await server.gql(RESET_PASSWORD, { token: reset, newPassword: 'the attacker chose this' }));

  expect((await server.gql(LOGIN, { input: { email: account.email, password: NEW_PASSWORD } })).data?.login.user.id).toBe(account.id);
});

it('refuses a token voided by a newer one of the same purpose', async () => {
  const account = await newAccount(server);
  const older = await resetToken(account);
  const newer = await resetToken(account);

  expectRefusedToken(await server.gql(RESET_PASSWORD, { token: older, newPassword: NEW_PASSWORD }));

  await stillHasOldPassword(account);
  expect((await server.gql(RESET_PASSWORD, { token: newer, newPassword: NEW_PASSWORD })).data?.resetPassword).toBe(true);
});

it('refuses an expired token', async () => {
  const { server: shortLived } = await serverWithMailbox({ mailbox, shareWith: server, env: { PASSWORD_RESET_TTL: '1s' } });
  servers.push(shortLived);
  const account = await newAccount(shortLived);
  const reset = await resetToken(account, shortLived);

  await new Promise((resolve) => setTimeout(resolve, 1_500));

  expectRefusedToken(await shortLived.gql(RESET_PASSWORD, { token: reset, newPassword: NEW_PASSWORD }));
  await stillHasOldPassword(account);
});

it("refuses another user's token from a signed-in user, and leaves it for its owner", async () => {
  const owner = await newAccount(server);
  const intruder = await newAccount(server);
  const verify = await verifyToken(owner);
  const reset = await resetToken(owner);

  expectRefusedToken(await server.gql(VERIFY_EMAIL, { token: verify }, { token: intruder.accessToken }));
  expectRefusedToken(await server.gql(RESET_PASSWORD, { token: reset, newPassword: NEW_PASSWORD }, { token: intruder.accessToken }));

  expect((await server.gql(ME_VERIFIED, {}, { token: intruder.accessToken })).data?.me.emailVerified).toBe(false);
  await stillHasOldPassword(owner);
  expect((await server.gql(VERIFY_EMAIL, { token: verify }, { token: owner.accessToken })).data?.verifyEmail.emailVerified).toBe(true);
});

it('refuses a reset token once its user is disabled', async () => {
  const account = await newAccount(server);
  const reset = await resetToken(account);
  await server.database.pool.query(`UPDATE users SET active = false WHERE id = $1`, [account.id]);

  expectRefusedToken(await server.gql(RESET_PASSWORD, { token: reset, newPassword: NEW_PASSWORD }));

  const { rows } = await server.database.pool.query(`SELECT password_hash FROM users WHERE id = $1`, [account.id]);
  await server.database.pool.query(`UPDATE users SET active = true WHERE id = $1`, [account.id]);
  await stillHasOldPassword(account);
  expect(rows).toHaveLength(1);
});

it('refuses a confirmation link whose address was taken since, leaving the token for later', async () => {
  const account = await newAccount(server);
  const newEmail = newUser().email;
  await server.gql(REQUEST_EMAIL_CHANGE, { newEmail, currentPassword: account.password }, { token: account.accessToken });
  const confirm = (await mailbox.waitFor(newEmail)).token!;
  const squatter = await newAccount(server, {});
  await server.database.pool.query(`UPDATE users SET email = $1 WHERE id = $2`, [newEmail, squatter.id]);

  expect(codeOf(await server.gql(CONFIRM_EMAIL_CHANGE, { token: confirm }))).toBe('CONFLICT');
  expect((await server.gql(ME_VERIFIED, {}, { token: account.accessToken })).data?.me.email).toBe(account.email);

  await server.database.pool.query(`DELETE FROM users WHERE id = $1`, [squatter.id]);
  expect((await server.gql(CONFIRM_EMAIL_CHANGE, { token: confirm })).errors).toBeUndefined();
});

it('lets exactly one of many concurrent uses of one token win', async () => {
  const account = await newAccount(server);
  const reset = await resetToken(account);

  const responses = await Promise.all(
    Array.from({ length: 8 }, (_, i) => server.gql(RESET_PASSWORD, { token: reset, newPassword: `${NEW_PASSWORD} ${i}` })),
  );

  const winners = responses.map((response, i) => ({ response, i })).filter(({ response }) => response.data?.resetPassword === true);
  expect(winners).toHaveLength(1);
  for (const response of responses.filter((r) => r.data?.resetPassword !== true)) expectRefusedToken(response);
  const winning = `${NEW_PASSWORD} ${winners[0]!.i}`;
  expect((await logIn(server, { email: account.email, password: winning })).id).toBe(account.id);
});

describe('limits', () => {
  it('limits token attempts per IP with RATE_LIMITED and 429', async () => {
    const { server: strict } = await serverWithMailbox({ mailbox, shareWith: server, env: { REDIS_KEY_PREFIX: newRedisPrefix(), RATE_LIMIT_TOKEN_PER_IP: '3' } });
    servers.push(strict);
    for (let i = 0; i < 3; i += 1) expectRefusedToken(await strict.gql(VERIFY_EMAIL, { token: 'A'.repeat(42) + String(i) }));

    const limited = await strict.gql(RESET_PASSWORD, { token: 'B'.repeat(43), newPassword: NEW_PASSWORD });

    expect(codeOf(limited)).toBe('RATE_LIMITED');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('limits reset requests per normalised email, known or unknown alike, without touching other emails', async () => {
    const account = await newAccount(server);
    const unknown = newUser().email;
    for (const email of [account.email, account.email.toUpperCase(), ` ${account.email} `]) {
      expect((await server.gql(REQUEST_RESET, { email })).data?.requestPasswordReset).toBe(true);
    }
    for (let i = 0; i < 3; i += 1) await server.gql(REQUEST_RESET, { email: unknown });

    const known = await server.gql(REQUEST_RESET, { email: account.email });
    const other = await server.gql(REQUEST_RESET, { email: unknown.toUpperCase() });

    for (const response of [known, other]) {
      expect(codeOf(response)).toBe('RATE_LIMITED');
      expect(response.status).toBe(429);
    }
    expect(known.errors?.[0]?.extensions?.retryAfter).toBeGreaterThan(3_000); // the 1-hour window
    expect((await server.gql(REQUEST_RESET, { email: newUser().email })).data?.requestPasswordReset).toBe(true);
  });

  it('limits reset requests per IP', async () => {
    const { server: strict } = await serverWithMailbox({ mailbox, shareWith: server, env: { REDIS_KEY_PREFIX: newRedisPrefix(), RATE_LIMIT_PASSWORD_RESET_PER_IP: '2' } });
    servers.push(strict);
    for (let i = 0; i < 2; i += 1) expect((await strict.gql(REQUEST_RESET, { email: newUser().email })).data?.requestPasswordReset).toBe(true);

    expect(codeOf(await strict.gql(REQUEST_RESET, { email: newUser().email }))).toBe('RATE_LIMITED');
  });

  it('limits the mails one account can ask for (resends and email changes)', async () => {
    const { server: strict } = await serverWithMailbox({ mailbox, shareWith: server, env: { REDIS_KEY_PREFIX: newRedisPrefix(), RATE_LIMIT_MAIL_PER_ACCOUNT: '2' } });
    servers.push(strict);
    const account = await newAccount(strict);
    for (let i = 0; i < 2; i += 1) expect((await strict.gql(RESEND_VERIFICATION, {}, { token: account.accessToken })).data?.resendVerificationEmail).toBe(true);

    expect(codeOf(await strict.gql(RESEND_VERIFICATION, {}, { token: account.accessToken }))).toBe('RATE_LIMITED');
    const change = await strict.gql(REQUEST_EMAIL_CHANGE, { newEmail: newUser().email, currentPassword: account.password }, { token: account.accessToken });
    expect(codeOf(change)).toBe('RATE_LIMITED');
  });
});

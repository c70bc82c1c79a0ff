// SPEC §10 end to end over HTTP: every mail read from a real SMTP server, every link followed.
import { codeOf, logIn, newAccount } from '../helpers/accounts';
import { LOGIN, ME, newUser, REGISTER } from '../helpers/graphql';
import type { Mailbox } from '../helpers/mailbox';
import {
  auditTypes,
  CHANGE_PASSWORD,
  CONFIRM_EMAIL_CHANGE,
  eventually,
  ME_VERIFIED,
  REQUEST_EMAIL_CHANGE,
  REQUEST_RESET,
  RESEND_VERIFICATION,
  RESET_PASSWORD,
  serverWithMailbox,
  VERIFY_EMAIL,
} from '../helpers/recovery';
import { releaseTestResources, type TestServer } from '../helpers/test-server';

let server: TestServer;
let mailbox: Mailbox;
const servers: TestServer[] = [];
beforeAll(async () => {
  ({ server, mailbox } = await serverWithMailbox({ env: { RATE_LIMIT_LOGIN_PER_ACCOUNT: '3' } }));
  servers.push(server);
});
afterAll(async () => {
  for (const each of servers) await each.close();
  await mailbox.close();
  await releaseTestResources();
});

const NEW_PASSWORD = 'a brand new passphrase';

describe('email verification', () => {
  it('sends a verification mail on register whose link verifies the address', async () => {
    const account = await newAccount(server);
    const mail = await mailbox.waitFor(account.email);
    expect(mail.subject).toBe('Confirm your email address');
    expect(mail.text).toContain('expires in 24 hours');
    expect(mail.text).toMatch(/If you didn't create an account/);
    expect(mail.html).toContain('Confirm my email address');
    expect(mail.link).toMatch(/^http:\/\/localhost:3000\/verify-email\?token=[A-Za-z0-9_-]{43}$/);
    expect((await server.gql(ME_VERIFIED, {}, { token: account.accessToken })).data?.me.emailVerified).toBe(false);

    const verified = await server.gql(VERIFY_EMAIL, { token: mail.token });

    expect(verified.errors).toBeUndefined();
    expect(verified.data?.verifyEmail).toEqual({ id: account.id, email: null, emailVerified: false }); // anonymous: hidden, like email
    expect((await server.gql(ME_VERIFIED, {}, { token: account.accessToken })).data?.me).toEqual({ id: account.id, email: account.email, emailVerified: true });
    expect(await eventually(() => auditTypes(server, account.id), (types) => types.includes('EMAIL_VERIFIED:SUCCESS'))).toEqual(
      expect.arrayContaining(['VERIFICATION_SENT:SUCCESS', 'EMAIL_VERIFIED:SUCCESS']),
    );
  });

  it('resends a fresh link that voids the older one', async () => {
    const account = await newAccount(server);
    const first = await mailbox.waitFor(account.email);

    const resent = await server.gql(RESEND_VERIFICATION, {}, { token: account.accessToken });
    expect(resent.data?.resendVerificationEmail).toBe(true);
    const second = await mailbox.waitFor((mail) => mail.to === account.email && mail.token !== first.token);

    expect(codeOf(await server.gql(VERIFY_EMAIL, { token: first.token }))).toBe('BAD_USER_INPUT');
    expect((await server.gql(VERIFY_EMAIL, { token: second.token }, { token: account.accessToken })).data?.verifyEmail.emailVerified).toBe(true);
  });

  it('needs a signed-in user to resend', async () => {
    expect(codeOf(await server.gql(RESEND_VERIFICATION))).toBe('UNAUTHENTICATED');
  });
});

describe('password reset', () => {
  it('mails a link that sets a new password, ends every session, verifies the email and sends a notice', async () => {
    const account = await newAccount(server);
    const other = await logIn(server, account);

    expect((await server.gql(REQUEST_RESET, { email: `  ${account.email.toUpperCase()} ` })).data?.requestPasswordReset).toBe(true);
    const mail = await mailbox.waitFor((m) => m.to === account.email && m.subject === 'Reset your password');
    expect(mail.text).toContain('expires in 30 minutes');
    expect(mail.text).toMatch(/If this wasn't you/);
    expect(mail.link).toMatch(/^http:\/\/localhost:3000\/reset-password\?token=/);

    const reset = await server.gql(RESET_PASSWORD, { token: mail.token, newPassword: NEW_PASSWORD });

    expect(reset.data?.resetPassword).toBe(true);
    for (const session of [account, other]) expect(codeOf(await server.gql(ME, {}, { token: session.accessToken }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await server.gql(LOGIN, { input: { email: account.email, password: account.password } }))).toBe('UNAUTHENTICATED');
    const fresh = await logIn(server, { email: account.email, password: NEW_PASSWORD });
    expect((await server.gql(ME_VERIFIED, {}, { token: fresh.accessToken })).data?.me.emailVerified).toBe(true);
    const notice = await mailbox.waitFor((m) => m.to === account.email && m.subject === 'Your password was changed');
    expect(notice.text).toMatch(/reset with a link/);
    expect(await eventually(() => auditTypes(server, account.id), (types) => types.includes('PASSWORD_RESET:SUCCESS'))).toEqual(
      expect.arrayContaining(['PASSWORD_RESET_REQUESTED:SUCCESS', 'PASSWORD_RESET:SUCCESS']),
    );
  });

  it('clears the login lock-out', async () => {
    const account = await newAccount(server);
    for (let i = 0; i < 4; i += 1) await server.gql(LOGIN, { input: { email: account.email, password: `wrong ${i}` } });
    expect(codeOf(await server.gql(LOGIN, { input: { email: account.email, password: account.password } }))).toBe('RATE_LIMITED');

    await server.gql(REQUEST_RESET, { email: account.email });
    const mail = await mailbox.waitFor((m) => m.to === account.email && m.subject === 'Reset your password');
    expect((await server.gql(RESET_PASSWORD, { token: mail.token, newPassword: NEW_PASSWORD })).data?.resetPassword).toBe(true);

    expect((await server.gql(LOGIN, { input: { email: account.email, password: NEW_PASSWORD } })).data?.login.user.id).toBe(account.id);
  });

  it("applies register's password rules to the new password and keeps the token usable", async () => {
    const account = await newAccount(server);
    await server.gql(REQUEST_RESET, { email: account.email });
    const mail = await mailbox.waitFor((m) => m.to === account.email && m.subject === 'Reset your password');

    const short = await server.gql(RESET_PASSWORD, { token: mail.token, newPassword: 'short' });

    expect(codeOf(short)).toBe('BAD_USER_INPUT');
    expect(short.errors?.[0]?.extensions?.fields).toEqual([expect.objectContaining({ field: 'newPassword' })]);
    expect((await server.gql(RESET_PASSWORD, { token: mail.token, newPassword: NEW_PASSWORD })).data?.resetPassword).toBe(true);
  });

  it('answers true for an unknown email and sends nothing', async () => {
    const before = mailbox.received.length;
    const unknown = newUser().email;

    expect((await server.gql(REQUEST_RESET, { email: unknown })).data?.requestPasswordReset).toBe(true);
    expect((await server.gql(REQUEST_RESET, { email: 'not an email' })).data?.requestPasswordReset).toBe(true);

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(mailbox.received.slice(before).filter((mail) => mail.to === unknown)).toEqual([]);
  });
});

describe('email change', () => {
  it('confirms by a link to the new address, tells the old one, and moves the account', async () => {
    const account = await newAccount(server);
    const newEmail = newUser().email;

    const requested = await server.gql(REQUEST_EMAIL_CHANGE, { newEmail, currentPassword: account.password }, { token: account.accessToken });
    expect(requested.data?.requestEmailChange).toBe(true);
    const confirm = await mailbox.waitFor(newEmail);
    const notice = await mailbox.waitFor((m) => m.to === account.email && m.subject === 'Your email address is being changed');
    expect(confirm.link).toMatch(/^http:\/\/localhost:3000\/confirm-email\?token=/);
    expect(notice.text).toContain(newEmail);
    expect(notice.link).toBeUndefined();

    const confirmed = await server.gql(CONFIRM_EMAIL_CHANGE, { token: confirm.token }, { token: account.accessToken });

    expect(confirmed.data?.confirmEmailChange).toEqual({ id: account.id, email: newEmail, emailVerified: true });
    expect((await server.gql(LOGIN, { input: { email: newEmail, password: account.password } })).data?.login.user.id).toBe(account.id);
    expect(codeOf(await server.gql(LOGIN, { input: { email: account.email, password: account.password } }))).toBe('UNAUTHENTICATED');
    expect(await eventually(() => auditTypes(server, account.id), (types) => types.includes('EMAIL_CHANGED:SUCCESS'))).toContain('EMAIL_CHANGE_REQUESTED:SUCCESS');
  });

  it('answers a taken address like a free one, and CONFLICT at confirmation with nothing changed', async () => {
    const account = await newAccount(server);
    const owner = await newAccount(server);

    const requested = await server.gql(REQUEST_EMAIL_CHANGE, { newEmail: owner.email, currentPassword: account.password }, { token: account.accessToken });
    expect(requested).toMatchObject({ status: 200, data: { requestEmailChange: true } });
    expect(requested.errors).toBeUndefined();
    const confirm = await mailbox.waitFor((m) => m.to === owner.email && m.subject === 'Confirm your new email address');

    const confirmed = await server.gql(CONFIRM_EMAIL_CHANGE, { token: confirm.token });

    expect(codeOf(confirmed)).toBe('CONFLICT');
    expect((await server.gql(ME_VERIFIED, {}, { token: account.accessToken })).data?.me.email).toBe(account.email);
    expect((await server.gql(ME_VERIFIED, {}, { token: owner.accessToken })).data?.me.email).toBe(owner.email);
  });

  it('refuses a wrong current password without sending anything', async () => {
    const account = await newAccount(server);
    const newEmail = newUser().email;

    const response = await server.gql(REQUEST_EMAIL_CHANGE, { newEmail, currentPassword: 'not my password' }, { token: account.accessToken });

    expect(codeOf(response)).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.extensions?.fields).toEqual([{ field: 'currentPassword', message: 'is incorrect' }]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(mailbox.to(newEmail)).toEqual([]);
  });
});

it('sends the password-changed notice when changePassword succeeds', async () => {
  const account = await newAccount(server);

  const changed = await server.gql(CHANGE_PASSWORD, { currentPassword: account.password, newPassword: NEW_PASSWORD }, { token: account.accessToken });

  expect(changed.data?.changePassword).toBe(true);
  const notice = await mailbox.waitFor((m) => m.to === account.email && m.subject === 'Your password was changed');
  expect(notice.text).toMatch(/was changed/);
  expect(notice.html).toContain('<p');
});

describe('EMAIL_VERIFICATION', () => {
  it('required: register starts no session, login answers FORBIDDEN EMAIL_NOT_VERIFIED only after the right password, and the link opens it', async () => {
    const { server: strict } = await serverWithMailbox({ mailbox, env: { EMAIL_VERIFICATION: 'required' } });
    servers.push(strict);
    const input = newUser();

    const registered = await strict.gql(REGISTER, { input });
    expect(codeOf(registered)).toBe('FORBIDDEN');
    expect(registered.errors?.[0]?.extensions?.reason).toBe('EMAIL_NOT_VERIFIED');
    expect(registered.cookies.access_token).toBeUndefined();
    const wrong = await strict.gql(LOGIN, { input: { email: input.email, password: 'wrong password' } });
    expect(codeOf(wrong)).toBe('UNAUTHENTICATED');
    expect(wrong.errors?.[0]?.extensions?.reason).toBeUndefined();
    const right = await strict.gql(LOGIN, { input: { email: input.email, password: input.password } });
    expect(codeOf(right)).toBe('FORBIDDEN');
    expect(right.errors?.[0]?.extensions?.reason).toBe('EMAIL_NOT_VERIFIED');

    const mail = await mailbox.waitFor(input.email);
    await strict.gql(VERIFY_EMAIL, { token: mail.token });

    expect((await strict.gql(LOGIN, { input: { email: input.email, password: input.password } })).data?.login.user.email).toBe(input.email);
  });

  it('off: register sends no verification mail', async () => {
    const { server: off } = await serverWithMailbox({ mailbox, env: { EMAIL_VERIFICATION: 'off' } });
    servers.push(off);
    const account = await newAccount(off);

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(mailbox.to(account.email)).toEqual([]);
  });
});

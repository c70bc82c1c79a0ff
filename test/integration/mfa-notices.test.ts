// Changes to how an account signs in are told to its owner by mail (SPEC §11 with §10's queue): turning
// TOTP on and off and an admin's reset each send a notice, read from a real SMTP server.
import { newAccount, type Account } from '../helpers/accounts';
import { DISABLE_TOTP, enrollTotp, movableClock, RESET_USER_MFA } from '../helpers/mfa';
import type { Mailbox } from '../helpers/mailbox';
import { serverWithMailbox } from '../helpers/recovery';
import { releaseTestResources, type TestServer } from '../helpers/test-server';

let server: TestServer;
let mailbox: Mailbox;
const clock = movableClock();

beforeAll(async () => {
  ({ server, mailbox } = await serverWithMailbox({ clock, env: { EMAIL_VERIFICATION: 'off' } }));
});
afterAll(async () => {
  await server.close();
  await mailbox.close();
  await releaseTestResources();
});

const notice = (account: Account, subject: string) => mailbox.waitFor((mail) => mail.to === account.email && mail.subject === subject);

describe('sign-in factor notices', () => {
  it('mails the owner when TOTP is turned on and when it is turned off, with what happened and what to do if it was not them', async () => {
    const account = await newAccount(server);
    await enrollTotp(server, account, clock);

    const on = await notice(account, 'Two-step sign-in was turned on');
    expect(on.text).toContain('Two-step sign-in with an authenticator app was turned on for your account');
    expect(on.text).toContain("If this wasn't you");
    expect(on.html).toContain('Two-step sign-in');

    const disabled = await server.gql(DISABLE_TOTP, { password: account.password }, { token: account.accessToken });
    expect(disabled.data?.disableTotp).toBe(true);
    const off = await notice(account, 'Two-step sign-in was turned off');
    expect(off.text).toContain('a password alone now signs in');
  });

  it('mails the owner when an admin resets their second factor, and not for a wrong password that changed nothing', async () => {
    const account = await newAccount(server);
    await enrollTotp(server, account, clock);
    await notice(account, 'Two-step sign-in was turned on');
    const refused = await server.gql(DISABLE_TOTP, { password: 'not the password at all' }, { token: account.accessToken });
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const admin = await newAccount(server);
    await server.database.pool.query(`UPDATE users SET role = 'ADMIN' WHERE id = $1`, [admin.id]);
    const adminSession = await server.gql(`mutation($input: LoginInput!) { login(input: $input) { accessToken } }`, { input: { email: admin.email, password: admin.password } });
    const reset = await server.gql(RESET_USER_MFA, { id: account.id }, { token: adminSession.data!.login.accessToken });
    expect(reset.data?.resetUserMfa).toEqual({ id: account.id, mfaEnabled: false });

    const mail = await notice(account, 'Two-step sign-in was reset');
    expect(mail.text).toContain('An administrator removed the two-step sign-in of your account');
    expect(mailbox.to(account.email).map((each) => each.subject)).toEqual(['Two-step sign-in was turned on', 'Two-step sign-in was reset']);
  });
});

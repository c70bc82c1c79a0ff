// Sign-in with an OpenID provider through the browser flow (SPEC §12), against a real provider
// (oidc-provider) run by the test: users created, signed in again, linked by the §12 rules, refused.
import { codeOf, logIn, newAccount } from '../helpers/accounts';
import { Browser } from '../helpers/browser';
import { CountingHasher } from '../helpers/counting-hasher';
import { INVALID_CREDENTIALS_MESSAGE, LINKED_ACCOUNTS, SIGNED_IN_ME, UNLINK } from '../helpers/oidc-operations';
import { APP_URL, PROVIDER_ID, startOidcTestbed, type OidcTestbed } from '../helpers/oidc';
import { LOGIN } from '../helpers/graphql';
import { releaseTestResources } from '../helpers/test-server';

let bed: OidcTestbed;
let counter = 0;
const hasher = new CountingHasher();

beforeAll(async () => {
  bed = await startOidcTestbed({ hasher });
});

afterAll(async () => {
  await bed?.close();
  await releaseTestResources();
});

const prisma = () => bed.server.database.prisma;
const uniqueEmail = (name: string) => `${name}-${(counter += 1)}-${Date.now()}@example.com`;
const providerAccount = (name: string, overrides: { email?: string; email_verified?: boolean } = {}) =>
  bed.provider.addAccount({ sub: `${name}-sub-${(counter += 1)}`, email: uniqueEmail(name), email_verified: true, name: `${name} Provider`, ...overrides });
const auditReasons = async (userId: string) => {
  await new Promise((resolve) => setTimeout(resolve, 100)); // the audit log writes in batches every 20 ms
  return (await prisma().authEvent.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } })).map((event) => `${event.type} ${event.reason ?? ''}`.trim());
};

describe('the provider list', () => {
  it('lists the configured providers with their display names for a login page', async () => {
    const response = await fetch(`${bed.publicUrl}/auth/oidc`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ providers: [{ id: PROVIDER_ID, name: 'Test IdP', available: true }] });
  });

  it("lets the web app's origin read the list (CORS), and no other origin", async () => {
    const fromApp = await fetch(`${bed.publicUrl}/auth/oidc`, { headers: { origin: APP_URL } });
    expect(fromApp.headers.get('access-control-allow-origin')).toBe(APP_URL);
    const fromElsewhere = await fetch(`${bed.publicUrl}/auth/oidc`, { headers: { origin: 'https://evil.example' } });
    expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('signing in through the provider', () => {
  it('creates a user without a password on a first sign-in and signs the browser in with the cookies of a password login', async () => {
    const account = providerAccount('alice', { email: `Alice-${Date.now()}@Example.com` });
    const browser = new Browser();
    const back = await bed.signIn(browser, { login: account.sub });

    expect(back.toString()).toBe(`${APP_URL}/signed-in`);
    const cookies = browser.cookies(bed.publicUrl);
    expect(Object.keys(cookies).sort()).toEqual(['access_token', 'logged_in', 'refresh_token']);
    const me = await bed.server.gql(SIGNED_IN_ME, {}, { cookies });
    expect(me.data?.me).toMatchObject({ email: account.email!.toLowerCase(), name: 'alice Provider' });
    const user = await prisma().user.findUniqueOrThrow({ where: { email: account.email!.toLowerCase() }, include: { linkedAccounts: true } });
    expect(user.passwordHash).toBeNull();
    expect(user.emailVerified).toBe(true);
    expect(user.linkedAccounts).toMatchObject([{ provider: PROVIDER_ID, subject: account.sub, email: account.email!.toLowerCase() }]);
    expect(await auditReasons(user.id)).toEqual([`REGISTER oidc:${PROVIDER_ID}`, `LOGIN_SUCCEEDED oidc:${PROVIDER_ID}`]);
  });

  it('signs the same user in on a second sign-in, creating nothing and recording when the account was last used', async () => {
    const account = providerAccount('bruno');
    await bed.signIn(new Browser(), { login: account.sub });
    const before = await prisma().user.count();

    const browser = new Browser();
    await bed.signIn(browser, { login: account.sub });

    expect(await prisma().user.count()).toBe(before);
    const linked = await prisma().linkedAccount.findUniqueOrThrow({ where: { provider_subject: { provider: PROVIDER_ID, subject: account.sub } } });
    expect(linked.lastUsedAt).not.toBeNull();
    const me = await bed.server.gql(SIGNED_IN_ME, {}, { cookies: browser.cookies(bed.publicUrl) });
    expect(me.data?.me.id).toBe(linked.userId);
  });

  it('uses the provider account\'s subject, not its email: a changed email at the provider still signs in the same user', async () => {
    const account = providerAccount('carla');
    await bed.signIn(new Browser(), { login: account.sub });
    const linked = await prisma().linkedAccount.findUniqueOrThrow({ where: { provider_subject: { provider: PROVIDER_ID, subject: account.sub } } });
    account.email = uniqueEmail('carla-new');

    const browser = new Browser();
    await bed.signIn(browser, { login: account.sub });
    expect((await bed.server.gql(SIGNED_IN_ME, {}, { cookies: browser.cookies(bed.publicUrl) })).data?.me.id).toBe(linked.userId);
  });

  it('sends the browser back with ?error=access_denied when the user refuses at the provider, creating nothing', async () => {
    const before = await prisma().user.count();
    const browser = new Browser();
    const back = await bed.signIn(browser, { login: 'deny' });
    expect(back.toString()).toBe(`${APP_URL}/signed-in?error=access_denied`);
    expect(browser.cookies(bed.publicUrl).access_token).toBeUndefined();
    expect(await prisma().user.count()).toBe(before);
  });

  it('answers a first sign-in without an email (none in the ID token or userinfo) with ?error=email_required, creating nothing', async () => {
    const account = bed.provider.addAccount({ sub: `no-email-${(counter += 1)}`, name: 'Nameless' });
    const users = await prisma().user.count();
    const back = await bed.signIn(new Browser(), { login: account.sub });
    expect(back.toString()).toBe(`${APP_URL}/signed-in?error=email_required`);
    expect(await prisma().user.count()).toBe(users);
    expect(await prisma().linkedAccount.count({ where: { subject: account.sub } })).toBe(0);
  });

  it('refuses a disabled user with ?error=account_disabled and no session', async () => {
    const account = providerAccount('dora');
    await bed.signIn(new Browser(), { login: account.sub });
    await prisma().user.update({ where: { email: account.email!.toLowerCase() }, data: { active: false } });

    const browser = new Browser();
    const back = await bed.signIn(browser, { login: account.sub });
    expect(back.searchParams.get('error')).toBe('account_disabled');
    expect(browser.cookies(bed.publicUrl).access_token).toBeUndefined();
    const user = await prisma().user.findUniqueOrThrow({ where: { email: account.email!.toLowerCase() } });
    expect((await auditReasons(user.id)).filter((event) => event.startsWith('LOGIN_FAILED'))).toEqual([`LOGIN_FAILED oidc:${PROVIDER_ID}: account disabled`]);
  });
});

describe('an account with the same email', () => {
  async function localUser(verified: boolean) {
    const local = await newAccount(bed.server);
    await prisma().user.update({ where: { id: local.id }, data: { emailVerified: verified } });
    return local;
  }

  it('is linked and signed in when the provider and the local account both have the email verified', async () => {
    const local = await localUser(true);
    const account = providerAccount('erin', { email: local.email.toUpperCase(), email_verified: true });

    const browser = new Browser();
    const back = await bed.signIn(browser, { login: account.sub });

    expect(back.searchParams.get('error')).toBeNull();
    expect((await bed.server.gql(SIGNED_IN_ME, {}, { cookies: browser.cookies(bed.publicUrl) })).data?.me.id).toBe(local.id);
    expect(await prisma().linkedAccount.findMany({ where: { userId: local.id } })).toMatchObject([{ provider: PROVIDER_ID, subject: account.sub }]);
    expect(codeOf(await bed.server.gql(LOGIN, { input: { email: local.email, password: local.password } }))).toBeUndefined(); // the password still works
  });

  it.each([
    ['the local email is not verified', false, true],
    ['the provider does not vouch for the email', true, false],
  ])('answers ?error=account_conflict when %s, linking and creating nothing', async (_case, localVerified, providerVerified) => {
    const local = await localUser(localVerified);
    const account = providerAccount('frank', { email: local.email, email_verified: providerVerified });
    const users = await prisma().user.count();

    const browser = new Browser();
    const back = await bed.signIn(browser, { login: account.sub });

    expect(back.toString()).toBe(`${APP_URL}/signed-in?error=account_conflict`);
    expect(browser.cookies(bed.publicUrl).access_token).toBeUndefined();
    expect(await prisma().linkedAccount.count({ where: { subject: account.sub } })).toBe(0);
    expect(await prisma().user.count()).toBe(users);
  });
});

describe('linking while signed in (link=1)', () => {
  it('links another provider account to the signed-in user, who can then sign in with it', async () => {
    const local = await newAccount(bed.server);
    const browser = new Browser();
    browser.setCookie(bed.publicUrl, 'access_token', local.accessToken);
    const account = providerAccount('gina', { email: uniqueEmail('gina-elsewhere'), email_verified: false });

    const back = await bed.signIn(browser, { login: account.sub, link: true });
    expect(back.toString()).toBe(`${APP_URL}/signed-in`);

    const listed = await bed.server.gql(LINKED_ACCOUNTS, {}, { token: local.accessToken });
    expect(listed.data?.linkedAccounts).toEqual([
      { provider: PROVIDER_ID, subject: account.sub, email: account.email, linkedAt: expect.any(String), lastUsedAt: null },
    ]);
    const other = new Browser();
    await bed.signIn(other, { login: account.sub });
    expect((await bed.server.gql(SIGNED_IN_ME, {}, { cookies: other.cookies(bed.publicUrl) })).data?.me.id).toBe(local.id);
  });

  it('answers ?error=not_signed_in to link=1 without a session, before going to the provider', async () => {
    const response = await new Browser().get(bed.startUrl({ link: true }));
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${APP_URL}/signed-in?error=not_signed_in`);
  });

  it('refuses to link a provider account that signs in another user (?error=already_linked)', async () => {
    const account = providerAccount('hugo');
    await bed.signIn(new Browser(), { login: account.sub }); // now hugo's own user
    const owner = await prisma().linkedAccount.findUniqueOrThrow({ where: { provider_subject: { provider: PROVIDER_ID, subject: account.sub } } });
    const local = await newAccount(bed.server);
    const browser = new Browser();
    browser.setCookie(bed.publicUrl, 'access_token', local.accessToken);

    const back = await bed.signIn(browser, { login: account.sub, link: true });
    expect(back.searchParams.get('error')).toBe('already_linked');
    expect(await prisma().linkedAccount.findMany({ where: { subject: account.sub } })).toMatchObject([{ userId: owner.userId }]);
  });
});

describe('users created by a provider', () => {
  async function providerUser(name: string) {
    const account = providerAccount(name);
    const browser = new Browser();
    await bed.signIn(browser, { login: account.sub });
    const cookies = browser.cookies(bed.publicUrl);
    return { account, cookies, email: account.email!.toLowerCase() };
  }

  it('answer password login with the generic error after the dummy hash an unknown email costs (same time, nothing to tell)', async () => {
    const { email } = await providerUser('ines');
    const before = { ...hasher.calls };
    const response = await bed.server.gql(LOGIN, { input: { email, password: 'any password at all' } });
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    expect(response.errors?.[0]?.message).toBe(INVALID_CREDENTIALS_MESSAGE);
    expect(hasher.calls).toEqual({ ...before, verifyDummy: before.verifyDummy + 1 });
  });

  it('cannot change a password they do not have: BAD_USER_INPUT on currentPassword, pointing to password reset', async () => {
    const { cookies, email } = await providerUser('jon');
    const response = await bed.server.gql(
      'mutation { changePassword(currentPassword: "", newPassword: "a brand new passphrase") }',
      {},
      { cookies },
    );
    expect(codeOf(response)).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.extensions?.fields).toEqual([{ field: 'currentPassword', message: expect.stringContaining('password reset') }]);
    expect((await prisma().user.findUniqueOrThrow({ where: { email } })).passwordHash).toBeNull();
  });

  it('cannot unlink their only way to sign in (FORBIDDEN), and the link stays', async () => {
    const { account, cookies } = await providerUser('kim');
    const response = await bed.server.gql(UNLINK, { provider: PROVIDER_ID }, { cookies });
    expect(codeOf(response)).toBe('FORBIDDEN');
    expect(response.errors?.[0]?.message).toMatch(/only way to sign in/);
    expect(await prisma().linkedAccount.count({ where: { subject: account.sub } })).toBe(1);
  });
});

describe('unlinkAccount', () => {
  it('unlinks a provider from a user who keeps a password, and the provider account no longer signs in as them', async () => {
    const local = await newAccount(bed.server);
    const browser = new Browser();
    browser.setCookie(bed.publicUrl, 'access_token', local.accessToken);
    const account = providerAccount('lena', { email: uniqueEmail('lena-elsewhere'), email_verified: false });
    await bed.signIn(browser, { login: account.sub, link: true });

    const response = await bed.server.gql(UNLINK, { provider: PROVIDER_ID }, { token: local.accessToken });
    expect(response.data?.unlinkAccount).toBe(true);
    expect(await prisma().linkedAccount.count({ where: { userId: local.id } })).toBe(0);
    expect((await bed.server.gql(UNLINK, { provider: PROVIDER_ID }, { token: local.accessToken })).data?.unlinkAccount).toBe(false);
    expect(await auditReasons(local.id)).toEqual(expect.arrayContaining([`ACCOUNT_LINKED oidc:${PROVIDER_ID}`, `ACCOUNT_UNLINKED oidc:${PROVIDER_ID}`]));

    const again = await bed.signIn(new Browser(), { login: account.sub }); // a new user now, not the local one
    expect(again.searchParams.get('error')).toBeNull();
    expect((await prisma().linkedAccount.findFirstOrThrow({ where: { subject: account.sub } })).userId).not.toBe(local.id);
    await logIn(bed.server, local); // the local user still signs in with the password
  });

  it('needs a signed-in user', async () => {
    expect(codeOf(await bed.server.gql(UNLINK, { provider: PROVIDER_ID }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await bed.server.gql(LINKED_ACCOUNTS))).toBe('UNAUTHENTICATED');
  });
});

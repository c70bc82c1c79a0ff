// Passkeys (SPEC §11) in a real headless Chromium with a virtual authenticator (DevTools WebAuthn domain):
// the page calls navigator.credentials.create/get with the options GraphQL gave, the service verifies the
// results. Registration, sign-out, sign-in with the passkey alone (discoverable), and the attacks: a
// replayed assertion and a cloned authenticator are refused.
import { Redis } from 'ioredis';
import { codeOf, newAccount, type Account } from '../helpers/accounts';
import { openBrowser, serveTestPage, type BrowserSession } from '../helpers/chromium';
import { LOGIN, LOGOUT, ME } from '../helpers/graphql';
import { enrollTotp, mfaChallengeOf, movableClock } from '../helpers/mfa';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const REGISTRATION_OPTIONS = `mutation { passkeyRegistrationOptions }`;
const REGISTER_PASSKEY = `mutation($response: JSON!, $name: String) { registerPasskey(response: $response, name: $name) { id name createdAt lastUsedAt } }`;
const PASSKEYS = `query { passkeys { id name createdAt lastUsedAt } }`;
const DELETE_PASSKEY = `mutation($id: ID!) { deletePasskey(id: $id) }`;
const LOGIN_OPTIONS = `mutation($email: String) { passkeyLoginOptions(email: $email) }`;
const LOGIN_WITH_PASSKEY = `mutation($response: JSON!) { loginWithPasskey(response: $response) { accessToken refreshToken tokenType user { id email mfaEnabled } } }`;

type Json = Record<string, any>;

const clock = movableClock();
let page: { origin: string; close(): Promise<void> };
let server: TestServer;
let browser: BrowserSession;
let authenticatorId: string;

beforeAll(async () => {
  page = await serveTestPage();
  server = await createTestServer({ clock, env: { WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: page.origin } });
  browser = await openBrowser(page.origin); // throws (the suite fails) when Chromium cannot run
}, 60_000);
// A fresh authenticator (an empty device) for each test: tests do not see each other's passkeys.
beforeEach(async () => {
  if (authenticatorId) await browser.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  authenticatorId = await browser.addAuthenticator();
});
afterAll(async () => {
  await browser?.close();
  await page?.close();
  await server?.close();
  await releaseTestResources();
});

const create = (options: Json): Promise<Json> => browser.page.evaluate((value) => (globalThis as any).createPasskey(value), options);
const get = (options: Json): Promise<Json> => browser.page.evaluate((value) => (globalThis as any).getPasskey(value), options);

async function registerPasskey(account: Pick<Account, 'accessToken'>, name = 'Test laptop'): Promise<{ id: string; credentialId: string }> {
  const options = (await server.gql(REGISTRATION_OPTIONS, {}, { token: account.accessToken })).data!.passkeyRegistrationOptions as Json;
  const credential = await create(options);
  const registered = await server.gql(REGISTER_PASSKEY, { response: credential, name }, { token: account.accessToken });
  if (!registered.data?.registerPasskey) throw new Error(`registerPasskey failed: ${registered.text}`);
  return { id: registered.data.registerPasskey.id, credentialId: credential.id };
}

async function signInAssertion(email?: string): Promise<Json> {
  const options = (await server.gql(LOGIN_OPTIONS, email ? { email } : {})).data!.passkeyLoginOptions as Json;
  return get(options);
}

async function failureReasons(userId: string): Promise<string[]> {
  await new Promise((resolve) => setTimeout(resolve, 100)); // audit writes are batched
  const { rows } = await server.database.pool.query<{ reason: string }>("SELECT reason FROM auth_events WHERE user_id = $1 AND type = 'PASSKEY_LOGIN_FAILED' ORDER BY created_at", [userId]);
  return rows.map((row) => row.reason);
}

describe('passkeys in Chromium', () => {
  it('registers a passkey with the options from GraphQL, signs out, and signs in with the passkey alone (discoverable)', async () => {
    const account = await newAccount(server);
    const options = (await server.gql(REGISTRATION_OPTIONS, {}, { token: account.accessToken })).data!.passkeyRegistrationOptions as Json;
    expect(options).toMatchObject({
      rp: { id: 'localhost', name: 'Portcullis' },
      user: { name: account.email },
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      challenge: expect.stringMatching(/^[\w-]{40,}$/),
    });

    const credential = await create(options);
    const registered = await server.gql(REGISTER_PASSKEY, { response: credential, name: 'Test laptop' }, { token: account.accessToken });
    expect(registered.errors).toBeUndefined();
    expect(registered.data!.registerPasskey).toMatchObject({ name: 'Test laptop', lastUsedAt: null });
    const listed = await server.gql(PASSKEYS, {}, { token: account.accessToken });
    expect(listed.data!.passkeys).toEqual([registered.data!.registerPasskey]);

    const logout = await server.gql(LOGOUT, {}, { token: account.accessToken });
    expect(logout.data!.logout).toBe(true);
    expect(codeOf(await server.gql(ME, {}, { token: account.accessToken }))).toBe('UNAUTHENTICATED');

    const loginOptions = (await server.gql(LOGIN_OPTIONS, {})).data!.passkeyLoginOptions as Json;
    expect(loginOptions).toMatchObject({ rpId: 'localhost', userVerification: 'required' });
    expect(loginOptions.allowCredentials ?? []).toEqual([]); // no email: the authenticator finds its own passkey
    const assertion = await get(loginOptions);
    expect(assertion.response.userHandle).toEqual(expect.any(String));
    const signedIn = await server.gql(LOGIN_WITH_PASSKEY, { response: assertion });

    expect(signedIn.errors).toBeUndefined();
    expect(signedIn.data!.loginWithPasskey).toMatchObject({ tokenType: 'Bearer', user: { id: account.id, email: account.email, mfaEnabled: false } });
    expect(Object.keys(signedIn.cookies).sort()).toEqual(['access_token', 'logged_in', 'refresh_token']);
    expect((await server.gql(ME, {}, { token: signedIn.data!.loginWithPasskey.accessToken })).data!.me.id).toBe(account.id);
    const after = await server.gql(PASSKEYS, {}, { token: signedIn.data!.loginWithPasskey.accessToken });
    expect(after.data!.passkeys[0].lastUsedAt).toEqual(expect.any(String));
  });

  it('answers the same sign-in options for an email with passkeys, an unknown email and none: no account is told apart', async () => {
    const account = await newAccount(server);
    await registerPasskey(account);
    const shapes: Json[] = [];
    for (const email of [account.email, 'nobody-here@example.com', undefined]) {
      const options = (await server.gql(LOGIN_OPTIONS, email ? { email } : {})).data!.passkeyLoginOptions as Json;
      shapes.push({ ...options, challenge: typeof options.challenge });
    }

    expect(shapes[0]).toEqual(shapes[1]);
    expect(shapes[1]).toEqual(shapes[2]);
    expect(shapes[0]!.allowCredentials ?? []).toEqual([]);
    // The passkey is still found: the authenticator discovers it.
    const signedIn = await server.gql(LOGIN_WITH_PASSKEY, { response: await signInAssertion(account.email) });
    expect(signedIn.data!.loginWithPasskey.user.id).toBe(account.id);
  });

  it('refuses a replayed assertion: its challenge was used up by the first sign-in', async () => {
    const account = await newAccount(server);
    await registerPasskey(account);
    const assertion = await signInAssertion(account.email);
    expect((await server.gql(LOGIN_WITH_PASSKEY, { response: assertion })).errors).toBeUndefined();

    const replay = await server.gql(LOGIN_WITH_PASSKEY, { response: assertion });

    expect(replay.errors![0]).toMatchObject({ message: 'Passkey sign-in failed', extensions: { code: 'UNAUTHENTICATED' } });
    expect(replay.data).toBeNull();
    expect(replay.cookies.access_token).toBeUndefined();
    expect((await failureReasons(account.id)).join()).toMatch(/challenge/i);
  });

  it('refuses a sign-in challenge it never issued, and one past its five minutes, whatever the authenticator signed', async () => {
    const account = await newAccount(server);
    await registerPasskey(account);
    const options = (await server.gql(LOGIN_OPTIONS, {})).data!.passkeyLoginOptions as Json;
    const issued = Buffer.from(options.challenge as string, 'base64url');
    const forgeries = [
      Buffer.alloc(issued.length, 7).toString('base64url'), // the right length, not signed by us
      Buffer.concat([issued.subarray(0, 16), Buffer.from([0, 0, 0xff, 0xff, 0xff, 0xff]), issued.subarray(22)]).toString('base64url'), // our tag, a later expiry
    ];
    for (const challenge of forgeries) {
      const refused = await server.gql(LOGIN_WITH_PASSKEY, { response: await get({ ...options, challenge }) });
      expect(refused.errors![0]).toMatchObject({ message: 'Passkey sign-in failed', extensions: { code: 'UNAUTHENTICATED' } });
      expect(refused.cookies.access_token).toBeUndefined();
    }

    const late = await signInAssertion();
    clock.advance(5 * 60 + 1);
    const expired = await server.gql(LOGIN_WITH_PASSKEY, { response: late });
    expect(expired.errors![0]).toMatchObject({ message: 'Passkey sign-in failed', extensions: { code: 'UNAUTHENTICATED' } });
    expect((await failureReasons(account.id)).filter((reason) => /challenge/i.test(reason))).toHaveLength(3);
    // The passkey itself is fine: with a fresh challenge it signs in.
    expect((await server.gql(LOGIN_WITH_PASSKEY, { response: await signInAssertion() })).data!.loginWithPasskey.user.id).toBe(account.id);
  });

  it('stores nothing when anyone asks for sign-in options, however often: the challenge is signed, not kept', async () => {
    const redis = new Redis(server.env.REDIS_URL!);
    const challengeKeys = async () => (await redis.keys(`${server.config.redisKeyPrefix}{webauthn*`)).length;
    try {
      const before = await challengeKeys();
      const challenges = new Set<string>();
      for (let call = 0; call < 50; call += 1) challenges.add(((await server.gql(LOGIN_OPTIONS, {})).data!.passkeyLoginOptions as Json).challenge);
      expect(challenges.size).toBe(50);
      expect(await challengeKeys()).toBe(before);
    } finally {
      redis.disconnect();
    }
  });

  it('refuses a cloned authenticator: a signature counter that does not rise', async () => {
    const account = await newAccount(server);
    const { credentialId } = await registerPasskey(account);
    const { credentials } = await browser.cdp.send('WebAuthn.getCredentials', { authenticatorId });
    const original = credentials.find((credential) => Buffer.from(credential.credentialId, 'base64').toString('base64url') === credentialId)!;
    expect(original).toBeDefined();
    expect((await server.gql(LOGIN_WITH_PASSKEY, { response: await signInAssertion(account.email) })).errors).toBeUndefined();
    expect((await server.gql(LOGIN_WITH_PASSKEY, { response: await signInAssertion(account.email) })).errors).toBeUndefined();

    // The clone: the same private key on another authenticator, with the counter as it was when it was copied.
    await browser.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    authenticatorId = await browser.addAuthenticator();
    await browser.cdp.send('WebAuthn.addCredential', { authenticatorId, credential: original });
    const cloned = await server.gql(LOGIN_WITH_PASSKEY, { response: await signInAssertion(account.email) });

    expect(cloned.errors![0]).toMatchObject({ message: 'Passkey sign-in failed', extensions: { code: 'UNAUTHENTICATED' } });
    expect(cloned.cookies.access_token).toBeUndefined();
    expect((await failureReasons(account.id)).join()).toMatch(/counter/i);
  });

  it('asks no second factor of a passkey sign-in, where a password sign-in needs one', async () => {
    const account = await newAccount(server);
    await registerPasskey(account);
    await enrollTotp(server, account, clock);
    expect(mfaChallengeOf(await server.gql(LOGIN, { input: { email: account.email, password: account.password } })).methods).toContain('TOTP');

    const signedIn = await server.gql(LOGIN_WITH_PASSKEY, { response: await signInAssertion(account.email) });

    expect(signedIn.errors).toBeUndefined();
    expect(signedIn.data!.loginWithPasskey.user).toEqual({ id: account.id, email: account.email, mfaEnabled: true });
  });

  it('refuses a deleted passkey; another user cannot delete it', async () => {
    const account = await newAccount(server);
    const other = await newAccount(server);
    const { id } = await registerPasskey(account);
    const assertion = await signInAssertion(account.email); // made while the passkey was still registered

    expect((await server.gql(DELETE_PASSKEY, { id }, { token: other.accessToken })).data!.deletePasskey).toBe(false);
    expect((await server.gql(DELETE_PASSKEY, { id }, { token: account.accessToken })).data!.deletePasskey).toBe(true);
    const signIn = await server.gql(LOGIN_WITH_PASSKEY, { response: assertion });

    expect(signIn.errors![0]).toMatchObject({ message: 'This passkey is not registered', extensions: { code: 'UNAUTHENTICATED' } });
    expect((await server.gql(PASSKEYS, {}, { token: account.accessToken })).data!.passkeys).toEqual([]);
  });

  it('refuses to delete the last passkey of an account with no password, and allows it once another passkey exists', async () => {
    const account = await newAccount(server);
    const first = await registerPasskey(account, 'Phone');
    // No password, as an account created by an OpenID provider has.
    await server.database.pool.query(`UPDATE users SET password_hash = NULL WHERE id = $1`, [account.id]);

    const refused = await server.gql(DELETE_PASSKEY, { id: first.id }, { token: account.accessToken });
    expect(refused.errors![0]).toMatchObject({
      message: 'This is your last way to sign in: add a password, another passkey or a linked account first',
      extensions: { code: 'FORBIDDEN' },
    });
    expect((await server.gql(PASSKEYS, {}, { token: account.accessToken })).data!.passkeys).toHaveLength(1);

    // A second device (one authenticator cannot hold two passkeys of one account: excludeCredentials says so).
    await browser.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    authenticatorId = await browser.addAuthenticator();
    const second = await registerPasskey(account, 'Laptop');
    const [a, b] = await Promise.all([
      server.gql(DELETE_PASSKEY, { id: first.id }, { token: account.accessToken }),
      server.gql(DELETE_PASSKEY, { id: second.id }, { token: account.accessToken }),
    ]);
    // Two removals at once cannot each count the other as the one left: exactly one succeeds.
    expect([a, b].map((response) => response.data?.deletePasskey ?? codeOf(response)).sort()).toEqual(['FORBIDDEN', true]);
    expect((await server.gql(PASSKEYS, {}, { token: account.accessToken })).data!.passkeys).toHaveLength(1);
  });

  it('refuses a registration answered to another user’s options, and uses each registration challenge once', async () => {
    const account = await newAccount(server);
    const other = await newAccount(server);
    const options = (await server.gql(REGISTRATION_OPTIONS, {}, { token: account.accessToken })).data!.passkeyRegistrationOptions as Json;
    const credential = await create(options);

    const stolen = await server.gql(REGISTER_PASSKEY, { response: credential }, { token: other.accessToken });
    expect(stolen.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'response' }] });
    // The challenge went with that attempt: the rightful user must ask again.
    const late = await server.gql(REGISTER_PASSKEY, { response: credential }, { token: account.accessToken });
    expect(codeOf(late)).toBe('BAD_USER_INPUT');
    expect((await server.gql(PASSKEYS, {}, { token: other.accessToken })).data!.passkeys).toEqual([]);
    expect((await server.gql(PASSKEYS, {}, { token: account.accessToken })).data!.passkeys).toEqual([]);
  });
});

describe('passkey input checks', () => {
  it.each([
    ['a string', 'not a credential'],
    ['an empty object', {}],
    ['a wrong type', { id: 'abc', rawId: 'abc', type: 'password', response: {} }],
    ['an id with other characters', { id: 'a{b}', rawId: 'a{b}', type: 'public-key', response: {} }],
  ])('answers BAD_USER_INPUT to %s as a passkey sign-in', async (_name, response) => {
    const answer = await server.gql(LOGIN_WITH_PASSKEY, { response });
    expect(answer.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'response' }] });
  });

  it('limits passkey sign-ins per IP like logins: RATE_LIMITED (429) past RATE_LIMIT_LOGIN_PER_IP', async () => {
    const strict = await createTestServer({ shareWith: server, env: { ...server.env, RATE_LIMIT_LOGIN_PER_IP: '3', REDIS_KEY_PREFIX: `${server.env.REDIS_KEY_PREFIX}strict:` } });
    try {
      const unknown = { id: 'bm90LXJlZ2lzdGVyZWQ', rawId: 'bm90LXJlZ2lzdGVyZWQ', type: 'public-key', response: {} };
      const answers = [];
      for (let attempt = 0; attempt < 4; attempt += 1) answers.push(await strict.gql(LOGIN_WITH_PASSKEY, { response: unknown }));

      expect(answers.map(codeOf)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED']);
      expect(answers[3]!.status).toBe(429);
      expect(Number(answers[3]!.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await strict.close();
    }
  });

  it('answers UNAUTHENTICATED to a well-formed credential no one registered', async () => {
    const answer = await server.gql(LOGIN_WITH_PASSKEY, { response: { id: 'bm90LXJlZ2lzdGVyZWQ', rawId: 'bm90LXJlZ2lzdGVyZWQ', type: 'public-key', response: {} } });
    expect(answer.errors![0]).toMatchObject({ message: 'This passkey is not registered', extensions: { code: 'UNAUTHENTICATED' } });
  });
});

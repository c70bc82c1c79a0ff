// Attacks on sign-in with an OpenID provider (SPEC §12), against a real provider (oidc-provider): forged
// and tampered ID tokens in the browser flow and in signInWithIdToken, state and code games at the
// callback, open redirects. Each asserts the exact refusal and that no user, link or session appeared.
import { createPublicKey } from 'node:crypto';
import { decodeJwt, generateKeyPair, UnsecuredJWT, type JWTPayload } from 'jose';
import { codeOf } from '../../helpers/accounts';
import { Browser } from '../../helpers/browser';
import { expectSessionCount } from '../../helpers/effects';
import { APP_URL, PROVIDER_ID, startOidcTestbed, type OidcTestbed } from '../../helpers/oidc';
import { SIGN_IN_WITH_ID_TOKEN } from '../../helpers/oidc-operations';
import { NATIVE_CLIENT_ID, type TestOidcProvider } from '../../helpers/oidc-provider';
import { releaseTestResources } from '../../helpers/test-server';

const SPA = 'http://spa.test';
let bed: OidcTestbed;
let counter = 0;
/** Set by a test: rewrites the ID token in the provider's token response, as a network attacker or a rogue key holder would. */
let tamper: ((claims: JWTPayload) => Promise<string>) | undefined;

const tamperingFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const url = input instanceof Request ? input.url : String(input);
  if (!tamper || !url.endsWith('/token')) return response;
  const body = (await response.json()) as Record<string, unknown>;
  if (typeof body.id_token === 'string') body.id_token = await tamper(decodeJwt(body.id_token));
  return new Response(JSON.stringify(body), { status: response.status, headers: { 'content-type': 'application/json' } });
};

beforeAll(async () => {
  bed = await startOidcTestbed({ env: { CORS_ORIGINS: SPA }, oidc: { fetch: tamperingFetch } });
});
afterEach(() => {
  tamper = undefined;
});
afterAll(async () => {
  await bed?.close();
  await releaseTestResources();
});

const prisma = () => bed.server.database.prisma;
const now = () => Math.floor(Date.now() / 1000);
const newAccount = () => {
  counter += 1;
  return bed.provider.addAccount({ sub: `victim-${counter}`, email: `victim-${counter}-${Date.now()}@example.com`, email_verified: true, name: 'Victim' });
};
const nothingCreatedFor = async (sub: string) => {
  expect(await prisma().linkedAccount.count({ where: { subject: sub } })).toBe(0);
  expect(await prisma().user.count({ where: { email: bed.provider.accounts.get(sub)!.email } })).toBe(0);
};
/** Runs the flow up to the provider's redirect back to the service, and stops there (the callback is not fetched). */
async function toCallback(browser: Browser, login: string): Promise<URL> {
  bed.provider.nextLogin = login;
  const { url } = await browser.follow(bed.startUrl(), (next) => next.pathname.endsWith('/callback'));
  expect(url.pathname).toBe(`/auth/oidc/${PROVIDER_ID}/callback`);
  return url;
}
const callbackAnswer = async (browser: Browser, url: URL | string) => {
  const response = await browser.get(url);
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!);
};

/** Keys and tricks an attacker signs with. */
async function forgeries(provider: TestOidcProvider) {
  const stranger = await generateKeyPair('RS256');
  const publicPem = createPublicKey({ key: provider.signingKey.publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  return {
    'a nonce from another flow': (claims: JWTPayload) => provider.mint({ ...claims, nonce: 'not-the-nonce-of-this-flow' }),
    'another audience': (claims: JWTPayload) => provider.mint({ ...claims, aud: 'some-other-client' }),
    'another issuer': (claims: JWTPayload) => provider.mint({ ...claims, iss: 'http://evil.example' }),
    'an expired token': (claims: JWTPayload) => provider.mint({ ...claims, iat: now() - 3_600, exp: now() - 600 }),
    'a key the provider does not publish (unknown kid)': (claims: JWTPayload) =>
      provider.mint(claims, { key: stranger.privateKey, header: { kid: 'attacker-key' } }),
    "a stranger's key under the provider's kid": (claims: JWTPayload) => provider.mint(claims, { key: stranger.privateKey }),
    'alg none': async (claims: JWTPayload) => new UnsecuredJWT({ iss: provider.issuer, iat: now(), exp: now() + 300, ...claims }).encode(),
    "HS256 with the provider's public key as the secret": (claims: JWTPayload) =>
      provider.mint(claims, { alg: 'HS256', key: new TextEncoder().encode(publicPem) }),
  };
}

describe('the browser flow refuses a tampered ID token from the token endpoint', () => {
  it('accepts the untampered token (the control: the tampering network passes it through)', async () => {
    const account = newAccount();
    tamper = (claims) => bed.provider.mint(claims);
    const back = await bed.signIn(new Browser(), { login: account.sub });
    expect(back.searchParams.get('error')).toBeNull();
    expect(await prisma().linkedAccount.count({ where: { subject: account.sub } })).toBe(1);
  });

  it.each([
    'a nonce from another flow',
    'another audience',
    'another issuer',
    'an expired token',
    'a key the provider does not publish (unknown kid)',
    "a stranger's key under the provider's kid",
    'alg none',
    "HS256 with the provider's public key as the secret",
  ] as const)('refuses %s with ?error=invalid_token, creating no user and no session', async (attack) => {
    const account = newAccount();
    const forge = (await forgeries(bed.provider))[attack];
    tamper = (claims) => forge(claims);
    const browser = new Browser();
    const back = await bed.signIn(browser, { login: account.sub });
    expect(back.toString()).toBe(`${APP_URL}/signed-in?error=invalid_token`);
    expect(browser.cookies(bed.publicUrl).access_token).toBeUndefined();
    await nothingCreatedFor(account.sub);
  });
});

describe('the callback', () => {
  it('refuses a callback opened in another browser than the one that started (state not bound to it)', async () => {
    const account = newAccount();
    const victim = new Browser();
    const planted = await toCallback(new Browser(), account.sub); // the attacker's own, finished at the provider
    await victim.follow(bed.startUrl(), (next) => next.origin === bed.provider.issuer); // the victim has a flow of their own
    const refusals = () => prisma().authEvent.count({ where: { type: 'LOGIN_FAILED', reason: { startsWith: `oidc:${PROVIDER_ID}: invalid_state` } } });
    const before = await refusals();

    expect((await callbackAnswer(victim, planted)).toString()).toBe(`${APP_URL}/?error=invalid_state`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the audit log writes in batches
    expect(await refusals()).toBe(before + 1);
    expect(victim.cookies(bed.publicUrl).access_token).toBeUndefined();
    await nothingCreatedFor(account.sub);
  });

  it('refuses a state that is not the one the flow started with', async () => {
    const account = newAccount();
    const browser = new Browser();
    const callback = await toCallback(browser, account.sub);
    callback.searchParams.set('state', 'a-state-the-attacker-chose');
    expect((await callbackAnswer(browser, callback)).searchParams.get('error')).toBe('invalid_state');
    await nothingCreatedFor(account.sub);
  });

  it('refuses a replayed callback: the state is single-use, and no second session is created', async () => {
    const account = newAccount();
    const browser = new Browser();
    const callback = await toCallback(browser, account.sub);
    const state = callback.searchParams.get('state')!;
    expect((await callbackAnswer(browser, callback)).toString()).toBe(`${APP_URL}/signed-in`);
    const user = await prisma().user.findUniqueOrThrow({ where: { email: account.email } });

    const replayer = new Browser();
    replayer.setCookie(bed.publicUrl, 'oidc_state', state, `/auth/oidc/${PROVIDER_ID}/callback`);
    const answer = await callbackAnswer(replayer, callback);
    expect(answer.toString()).toBe(`${APP_URL}/?error=invalid_state`);
    expect(replayer.cookies(bed.publicUrl).access_token).toBeUndefined();
    await expectSessionCount(bed.server, user.id, 1);
  });

  it("refuses a code from another flow (code injection): PKCE ties the code to its flow's verifier", async () => {
    const account = newAccount();
    const browser = new Browser();
    const first = await toCallback(browser, account.sub);
    const second = await toCallback(browser, account.sub); // the browser's flow is now the second one
    second.searchParams.set('code', first.searchParams.get('code')!);
    expect((await callbackAnswer(browser, second)).toString()).toBe(`${APP_URL}/signed-in?error=invalid_token`);
    await nothingCreatedFor(account.sub);
  });

  it('answers a callback without a state with ?error=invalid_request to APP_URL', async () => {
    const answer = await callbackAnswer(new Browser(), `${bed.publicUrl}/auth/oidc/${PROVIDER_ID}/callback?code=abc`);
    expect(answer.toString()).toBe(`${APP_URL}/?error=invalid_request`);
  });
});

describe('redirect_to', () => {
  it.each([
    ['another site', 'https://evil.example/'],
    ['a look-alike host', 'http://app.test.evil.example/'],
    ["the app's host on another port", 'http://app.test:8080/'],
    ['a scheme-relative URL', '//evil.example/'],
    ['a relative path', '/dashboard'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['credentials before the host', 'http://evil.example@app.test/'],
  ])('refuses %s with 400 before going to the provider (no open redirect)', async (_case, target) => {
    const response = await new Browser().get(bed.startUrl({ redirectTo: target }));
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await response.json()).toMatchObject({ error: 'invalid_redirect' });
  });

  it('accepts an origin listed in CORS_ORIGINS and returns there', async () => {
    const back = await bed.signIn(new Browser(), { login: newAccount().sub, redirectTo: `${SPA}/after?tab=2` });
    expect(back.toString()).toBe(`${SPA}/after?tab=2`);
  });
});

describe('signInWithIdToken', () => {
  const nativeToken = (account: { sub: string; email?: string }, claims: JWTPayload = {}) =>
    bed.provider.mint({ sub: account.sub, email: account.email, email_verified: true, aud: NATIVE_CLIENT_ID, nonce: 'app-nonce', ...claims });
  const signInWith = (idToken: string, nonce: string | null = 'app-nonce', provider = PROVIDER_ID) =>
    bed.server.gql(SIGN_IN_WITH_ID_TOKEN, { provider, idToken, nonce });

  it("signs a native app in with the provider's ID token for one of its audiences, creating the user once", async () => {
    const account = newAccount();
    const first = await signInWith(await nativeToken(account));
    expect(first.errors).toBeUndefined();
    expect(first.data?.signInWithIdToken.user.email).toBe(account.email);
    const second = await signInWith(await nativeToken(account, { nonce: 'next-nonce' }), 'next-nonce');
    expect(second.data?.signInWithIdToken.user.id).toBe(first.data?.signInWithIdToken.user.id);
    const me = await bed.server.gql('{ me { id } }', {}, { token: second.data?.signInWithIdToken.accessToken });
    expect(me.data?.me.id).toBe(first.data?.signInWithIdToken.user.id);
    expect(first.cookies.access_token).toBeDefined(); // the cookies of a login too
    await new Promise((resolve) => setTimeout(resolve, 100)); // the audit log writes in batches
    const events = await prisma().authEvent.findMany({ where: { userId: me.data?.me.id }, orderBy: { createdAt: 'asc' } });
    expect(events.map((event) => `${event.type} ${event.reason}`)).toEqual([`REGISTER oidc:${PROVIDER_ID}`, `LOGIN_SUCCEEDED oidc:${PROVIDER_ID}`, `LOGIN_SUCCEEDED oidc:${PROVIDER_ID}`]);
  });

  it.each([
    'a nonce from another flow',
    'another audience',
    'another issuer',
    'an expired token',
    'a key the provider does not publish (unknown kid)',
    "a stranger's key under the provider's kid",
    'alg none',
    "HS256 with the provider's public key as the secret",
  ] as const)('refuses %s with UNAUTHENTICATED "Invalid ID token", creating nothing', async (attack) => {
    const account = newAccount();
    const forge = (await forgeries(bed.provider))[attack];
    const genuine = decodeJwt(await nativeToken(account));
    const response = await signInWith(await forge(genuine));
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    expect(response.errors?.[0]?.message).toBe('Invalid ID token');
    expect(response.cookies).toEqual({});
    await nothingCreatedFor(account.sub);
  });

  it('refuses a token without the nonce the app says it sent', async () => {
    const account = newAccount();
    const response = await signInWith(await nativeToken(account, { nonce: undefined }), 'app-nonce');
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    await nothingCreatedFor(account.sub);
  });

  it('answers an unknown provider with BAD_USER_INPUT on provider', async () => {
    const response = await signInWith(await nativeToken(newAccount()), 'app-nonce', 'nope');
    expect(codeOf(response)).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.extensions?.fields).toEqual([{ field: 'provider', message: 'is not a configured provider' }]);
  });

  it('answers CONFLICT when an account has the email and the emails are not both verified', async () => {
    const account = newAccount();
    await signInWith(await nativeToken(account));
    const other = bed.provider.addAccount({ sub: `other-${account.sub}`, email: account.email, email_verified: false });
    const response = await signInWith(await nativeToken(other, { email_verified: false }));
    expect(codeOf(response)).toBe('CONFLICT');
    expect(response.errors?.[0]?.message).toMatch(/sign in to it and link/);
    expect(await prisma().linkedAccount.count({ where: { subject: other.sub } })).toBe(0);
  });

  it('refetches the JWKS for unknown kids at most once per floor, however many arrive', async () => {
    const before = bed.provider.jwksRequests;
    for (let i = 0; i < 10; i += 1) {
      const key = await generateKeyPair('RS256');
      const response = await signInWith(await bed.provider.mint({ sub: 'x', aud: NATIVE_CLIENT_ID, nonce: 'app-nonce' }, { key: key.privateKey, header: { kid: `flood-${i}` } }));
      expect(codeOf(response)).toBe('UNAUTHENTICATED');
    }
    expect(bed.provider.jwksRequests - before).toBeLessThanOrEqual(1);
  });

  it('counts against the per-operation rule: two aliased signInWithIdToken fields are refused up front', async () => {
    const token = await nativeToken(newAccount());
    const response = await bed.server.gql(
      `mutation { a: signInWithIdToken(provider: "test", idToken: ${JSON.stringify(token)}) { accessToken } b: signInWithIdToken(provider: "test", idToken: ${JSON.stringify(token)}) { accessToken } }`,
    );
    expect(response.status).toBe(400);
    expect(response.errors?.map((error) => error.message)).toContain(
      'An operation may select login, register, refresh, changePassword, clientToken or signInWithIdToken only once',
    );
  });
});

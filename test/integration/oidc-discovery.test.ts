// A provider that cannot be reached (SPEC §12): the service starts anyway, answers for that provider
// with provider_unavailable / SERVICE_UNAVAILABLE, and recovers on its own once the provider is up.
import { codeOf } from '../helpers/accounts';
import { Browser } from '../helpers/browser';
import { APP_URL, PROVIDER_ID, providerEnv, waitForProvider } from '../helpers/oidc';
import { SIGN_IN_WITH_ID_TOKEN } from '../helpers/oidc-operations';
import { NATIVE_CLIENT_ID, TestOidcProvider } from '../helpers/oidc-provider';
import { freePort } from '../helpers/waiting';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

let server: TestServer;
let provider: TestOidcProvider | undefined;
let publicUrl: string;
let providerPort: number;

beforeAll(async () => {
  const port = await freePort();
  providerPort = await freePort(); // nothing listens there yet
  publicUrl = `http://127.0.0.1:${port}`;
  server = await createTestServer({
    port,
    env: { ...providerEnv(`http://127.0.0.1:${providerPort}`, publicUrl), RATE_LIMIT_LOGIN_PER_IP: '100000' },
    oidc: { firstRetryMs: 100 },
  });
});

afterAll(async () => {
  await server?.close();
  await provider?.stop();
  await releaseTestResources();
});

const start = () => new Browser().get(`${publicUrl}/auth/oidc/${PROVIDER_ID}/start?redirect_to=${encodeURIComponent(`${APP_URL}/back`)}`);

describe('a provider that is down when the service starts', () => {
  it('does not stop the service: GraphQL answers and the provider is listed as unavailable', async () => {
    expect((await server.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
    const list = await (await fetch(`${publicUrl}/auth/oidc`)).json();
    expect(list).toEqual({ providers: [{ id: PROVIDER_ID, name: 'Test IdP', available: false }] });
  });

  it('sends a browser back with ?error=provider_unavailable', async () => {
    const response = await start();
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${APP_URL}/back?error=provider_unavailable`);
  });

  it('answers signInWithIdToken with SERVICE_UNAVAILABLE (HTTP 503)', async () => {
    const response = await server.gql(SIGN_IN_WITH_ID_TOKEN, { provider: PROVIDER_ID, idToken: 'a.b.c' });
    expect(response.status).toBe(503);
    expect(codeOf(response)).toBe('SERVICE_UNAVAILABLE');
  });

  it('is discovered once it comes up, with no restart, and sign-in then works', async () => {
    provider = await TestOidcProvider.start({ port: providerPort, redirectUris: [`${publicUrl}/auth/oidc/${PROVIDER_ID}/callback`] });
    provider.addAccount({ sub: 'late-sub', email: 'late@example.com', email_verified: true, name: 'Late Comer' });
    await waitForProvider(server, 15_000);

    provider.nextLogin = 'late-sub';
    const browser = new Browser();
    const { url } = await browser.follow(`${publicUrl}/auth/oidc/${PROVIDER_ID}/start?redirect_to=${encodeURIComponent(`${APP_URL}/back`)}`, (next) => next.origin === APP_URL);
    expect(url.toString()).toBe(`${APP_URL}/back`);
    expect(browser.cookies(publicUrl).access_token).toBeDefined();

    const native = await server.gql(SIGN_IN_WITH_ID_TOKEN, {
      provider: PROVIDER_ID,
      idToken: await provider.mint({ sub: 'late-sub', email: 'late@example.com', email_verified: true, aud: NATIVE_CLIENT_ID }),
    });
    expect(native.data?.signInWithIdToken.user.email).toBe('late@example.com');
  });

  it('answers ?error=provider_unavailable when the provider goes away between the redirect and the callback', async () => {
    provider!.nextLogin = 'late-sub';
    const browser = new Browser();
    const { url: callback } = await browser.follow(`${publicUrl}/auth/oidc/${PROVIDER_ID}/start`, (next) => next.pathname.endsWith('/callback'));
    await provider!.stop();
    provider = undefined;

    const response = await browser.get(callback);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${APP_URL}/?error=provider_unavailable`);
    expect(browser.cookies(publicUrl).access_token).toBeUndefined();
  });
});

// The service and a real OpenID provider wired to each other, for the sign-in tests: one call starts
// both (provider "test" at the service, the service's callback registered at the provider).
import type { Browser } from './browser';
import { NATIVE_CLIENT_ID, TEST_CLIENT, TestOidcProvider } from './oidc-provider';
import { freePort } from './waiting';
import { createTestServer, type TestServer, type TestServerOptions } from './test-server';

export const APP_URL = 'http://app.test';
export const PROVIDER_ID = 'test';

export interface OidcTestbed {
  server: TestServer;
  provider: TestOidcProvider;
  publicUrl: string;
  /** Runs the browser flow: /start → provider (nextLogin logs in and consents) → /callback → the app. */
  signIn(browser: Browser, options?: { redirectTo?: string; link?: boolean; login?: string }): Promise<URL>;
  /** The /start URL for this provider. */
  startUrl(options?: { redirectTo?: string; link?: boolean }): string;
  close(): Promise<void>;
}

/** The env that points the service at the provider (issuer given; the provider may not be up yet). */
export function providerEnv(issuer: string, publicUrl: string): Record<string, string> {
  return {
    PUBLIC_URL: publicUrl,
    APP_URL,
    COOKIE_SECURE: 'false', // plain http on loopback
    OIDC_PROVIDERS: PROVIDER_ID,
    OIDC_TEST_ISSUER: issuer,
    OIDC_TEST_CLIENT_ID: TEST_CLIENT.id,
    OIDC_TEST_CLIENT_SECRET: TEST_CLIENT.secret,
    OIDC_TEST_NAME: 'Test IdP',
    OIDC_TEST_AUDIENCES: `${TEST_CLIENT.id},${NATIVE_CLIENT_ID}`,
    USER_CACHE_TTL: '0', // tests change users in the database directly
  };
}

export async function startOidcTestbed(options: TestServerOptions = {}): Promise<OidcTestbed> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const provider = await TestOidcProvider.start({ redirectUris: [`${publicUrl}/auth/oidc/${PROVIDER_ID}/callback`] });
  const server = await createTestServer({ ...options, port, env: { ...providerEnv(provider.issuer, publicUrl), ...options.env } });
  await waitForProvider(server);
  const startUrl = ({ redirectTo = `${APP_URL}/signed-in`, link = false } = {}) =>
    `${publicUrl}/auth/oidc/${PROVIDER_ID}/start?${new URLSearchParams({ redirect_to: redirectTo, ...(link ? { link: '1' } : {}) }).toString()}`;
  return {
    server,
    provider,
    publicUrl,
    startUrl,
    async signIn(browser, { redirectTo, link, login } = {}) {
      if (login !== undefined) provider.nextLogin = login;
      // The browser leaves the service and the provider only to go back to the web app.
      const { url, hops } = await browser.follow(startUrl({ redirectTo, link }), (next) => ![publicUrl, provider.issuer].includes(next.origin));
      if ([publicUrl, provider.issuer].includes(url.origin)) throw new Error(`the flow did not return to the app: ${hops.map((hop) => `${hop.status} ${hop.url}`).join(' → ')}`);
      return url;
    },
    async close() {
      await server.close();
      await provider.stop();
    },
  };
}

/** Waits until GET /auth/oidc says the provider is discovered. */
export async function waitForProvider(server: TestServer, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const body = (await (await fetch(`${server.origin}/auth/oidc`)).json()) as { providers: Array<{ id: string; available: boolean }> };
    if (body.providers.find((provider) => provider.id === PROVIDER_ID)?.available) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the provider was not discovered in time');
}

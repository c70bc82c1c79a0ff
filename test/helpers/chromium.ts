// A real headless Chromium (the machine's, driven by playwright-core: no browser is downloaded) with a
// virtual WebAuthn authenticator added through the DevTools protocol, on a test page served by the test.
// If Chromium cannot start, the tests that need it fail: they never skip in silence.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/** The page a relying party would serve: it turns GraphQL's options JSON into WebAuthn calls and back. */
const TEST_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Portcullis passkeys</title></head>
<body>
<script>
  window.createPasskey = async (options) => {
    const credential = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
    return credential.toJSON();
  };
  window.getPasskey = async (options) => {
    const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
    return credential.toJSON();
  };
</script>
</body></html>`;

/** Serves the test page on localhost (a secure context, so WebAuthn works over http). */
export async function serveTestPage(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(TEST_PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://localhost:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export interface VirtualAuthenticatorOptions {
  protocol: 'ctap2';
  transport: 'internal';
  hasResidentKey: boolean;
  hasUserVerification: boolean;
  isUserVerified: boolean;
  automaticPresenceSimulation: boolean;
}

export const PLATFORM_AUTHENTICATOR: VirtualAuthenticatorOptions = {
  protocol: 'ctap2',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  automaticPresenceSimulation: true,
};

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  /** Adds a virtual authenticator to the page; returns its id. */
  addAuthenticator(options?: VirtualAuthenticatorOptions): Promise<string>;
  close(): Promise<void>;
}

export async function openBrowser(pageUrl: string): Promise<BrowserSession> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(pageUrl);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', {});
  return {
    browser,
    context,
    page,
    cdp,
    async addAuthenticator(options = PLATFORM_AUTHENTICATOR) {
      const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options });
      return authenticatorId;
    },
    close: () => browser.close(),
  };
}

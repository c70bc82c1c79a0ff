// The browser tests' fixtures: Debian's Chromium driven by playwright-core (no browser download),
// the real API (createTestServer: real PostgreSQL and Redis) and the example app on free ports.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startAppServer, type AppServer } from '../../examples/web/server/app-server';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

/** Where Chromium is; CI installs it (.ci/run). Missing or broken, the tests fail: they never skip. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];
export const SCREENSHOTS = path.join(__dirname, '../../test-results/screenshots');

export interface Profile {
  context: BrowserContext;
  /** A new tab of this profile at `path` of the app. */
  open(path: string): Promise<Page>;
  close(): Promise<void>;
}

export interface Example {
  api: TestServer;
  app: AppServer;
  /** The API as the browser reaches it: localhost, the app's own site. */
  apiUrl: string;
  /** A fresh browser profile (its own user-data-dir: cookies, locks and channels of its own). */
  profile(): Promise<Profile>;
}

/** Starts the API (with `env`, or env made from the started app) and the app before the file's tests, and stops them after. */
export function useExample(env: Record<string, string> | ((app: AppServer) => Record<string, string>)): Example {
  const example = {} as Example;
  const profiles: Profile[] = [];
  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    let apiUrl = '';
    example.app = await startAppServer({ apiUrl: () => apiUrl, port: 0 });
    example.api = await createTestServer({ env: { COOKIE_SECURE: 'false', CORS_ORIGINS: example.app.url, REFRESH_TOKEN_IN_BODY: 'false', ...(typeof env === 'function' ? env(example.app) : env) } });
    apiUrl = example.apiUrl = `http://localhost:${new URL(example.api.url).port}/graphql`;
    example.profile = async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-chromium-'));
      const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: ARGS });
      const profile: Profile = {
        context,
        async open(pathname) {
          const page = await context.newPage();
          await page.goto(`${example.app.url}${pathname}`);
          return page;
        },
        async close() {
          await context.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
      profiles.push(profile);
      return profile;
    };
  }, 60_000);
  afterAll(async () => {
    await Promise.all(profiles.map((profile) => profile.close()));
    await example.app?.close();
    await example.api?.close();
    await releaseTestResources();
  });
  return example;
}

let counter = 0;
/** A new account through the app's register page; leaves the tab on /me. */
export async function registerThroughTheApp(page: Page): Promise<{ email: string; password: string; name: string }> {
  const account = { email: `tab-user-${process.pid}-${++counter}-${Date.now()}@example.com`, password: 'correct horse battery staple', name: 'Ada Tabs' };
  await page.goto(new URL('/register' + new URL(page.url()).search, page.url()).toString());
  await page.fill('#register input[name=name]', account.name);
  await page.fill('#register input[name=email]', account.email);
  await page.fill('#register input[name=password]', account.password);
  await page.click('#register button[type=submit]');
  await page.waitForSelector('#me-name');
  return account;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The example app in Chromium against the real API: sign-in survives a reload, short-lived access
// tokens are refreshed without the user seeing it, logout in one tab reaches the others.
import path from 'node:path';
import type { Page, Response } from 'playwright-core';
import { registerThroughTheApp, SCREENSHOTS, sleep, useExample } from './browser';

jest.setTimeout(60_000);
const example = useExample({ ACCESS_TOKEN_TTL: '3s', REFRESH_REUSE_GRACE: '0' });

/** Watches a tab's refresh calls and their outcome. */
function refreshesOf(page: Page): Array<Promise<string>> {
  const seen: Array<Promise<string>> = [];
  page.on('response', (response: Response) => {
    if (response.request().method() === 'POST' && response.request().postData()?.includes('"operationName":"Refresh"')) {
      seen.push(response.json().then((body: any) => (body.data?.refresh ? 'refreshed' : body.errors?.[0]?.extensions?.code)));
    }
  });
  return seen;
}

test('a user who registers and reloads the page is still signed in, with the refresh token only in an httpOnly cookie', async () => {
  const profile = await example.profile();
  const page = await profile.open('/login');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'login.png') });
  await registerThroughTheApp(page);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'me.png') });

  const [meRequest] = await Promise.all([
    page.waitForRequest((request) => request.postData()?.includes('"operationName":"Me"') ?? false),
    page.reload(),
  ]);
  await page.waitForSelector('#me-name');
  expect(await page.textContent('#me-name')).toBe('Ada Tabs');
  // Memory mode: the access token goes as a Bearer header, and ordinary operations carry no cookies.
  const sent = await meRequest.allHeaders();
  expect(sent.authorization).toMatch(/^Bearer eyJ/);
  expect(sent).not.toHaveProperty('cookie');
  expect(await page.textContent('#status')).toContain('Signed in as Ada Tabs');
  const cookies = await profile.context.cookies(example.apiUrl);
  expect(cookies.find((cookie) => cookie.name === 'refresh_token')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
  // Script sees neither token (memory mode keeps the access token in a closure, not in storage).
  expect(await page.evaluate('document.cookie')).toBe('logged_in=true');
  expect(await page.evaluate('JSON.stringify(localStorage) + JSON.stringify(sessionStorage)')).toBe('{}{}');

  await page.click('a[href="/sessions"]');
  await page.waitForSelector('tr.session');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'sessions.png') });
  await page.click('a[href="/change-password"]');
  await page.waitForSelector('#change-password');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'change-password.png') });
});

test('with 3 s access tokens the page refreshes ahead of expiry, silently: no error shown and every call answers', async () => {
  const profile = await example.profile();
  const page = await profile.open('/login');
  await registerThroughTheApp(page);
  const refreshes = refreshesOf(page);
  for (let round = 0; round < 4; round += 1) {
    await sleep(2_000);
    const before = await page.textContent('#me-loaded');
    await page.click('#reload');
    await page.locator('#me-loaded').filter({ hasNotText: before! }).waitFor();
    expect(await page.textContent('#me-name')).toBe('Ada Tabs');
  }
  expect(await page.isHidden('#error')).toBe(true);
  expect(await page.textContent('#status')).toContain('Signed in as Ada Tabs');
  expect(refreshes.length).toBeGreaterThanOrEqual(2);
  expect(new Set(await Promise.all(refreshes))).toEqual(new Set(['refreshed']));
});

test('signing out in one tab shows the other tab of the profile signed out, at once', async () => {
  const profile = await example.profile();
  const first = await profile.open('/login');
  await registerThroughTheApp(first);
  const second = await profile.open('/me');
  await second.waitForSelector('#me-name');

  await first.click('#logout');
  await second.locator('#status', { hasText: /^Signed out$/ }).waitFor({ timeout: 5_000 });
  expect(await second.textContent('#notice')).toBe('You were signed out in another tab.');
  expect(new URL(second.url()).pathname).toBe('/login');
  expect(await first.textContent('#status')).toBe('Signed out');
  // And the session is gone on the server: a reload finds no session to restore.
  await second.reload();
  await second.waitForSelector('#login');
  expect(await second.textContent('#status')).toBe('Signed out');
});

test('in cookie mode the httpOnly access cookie carries the session: no Authorization header, a reload and an expiry pass unnoticed', async () => {
  const profile = await example.profile();
  const page = await profile.open('/login?mode=cookie');
  await registerThroughTheApp(page);
  const meRequests: Array<Record<string, string>> = [];
  page.on('request', (request) => {
    if (request.postData()?.includes('"operationName":"Me"')) meRequests.push(request.headers());
  });
  await page.reload();
  await page.waitForSelector('#me-name');
  await sleep(3_500); // past the first access token's lifetime
  await page.click('#reload');
  await page.locator('#me-loaded').waitFor();
  expect(await page.textContent('#status')).toContain('Signed in as Ada Tabs');
  expect(await page.isHidden('#error')).toBe(true);
  expect(meRequests.length).toBeGreaterThanOrEqual(2);
  for (const headers of meRequests) expect(headers).not.toHaveProperty('authorization');
  expect(new URL(page.url()).searchParams.get('mode')).toBe('cookie');
});

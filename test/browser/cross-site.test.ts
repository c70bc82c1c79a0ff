// A page on another site (127.0.0.1, another port) tries to sign the user out everywhere using the
// user's cookies. Each way a browser lets a page send a request is refused, and the session lives.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request } from 'playwright-core';
import { registerThroughTheApp, useExample } from './browser';

jest.setTimeout(60_000);
const example = useExample({ REFRESH_REUSE_GRACE: '0' });
const LOGOUT_EVERYWHERE = JSON.stringify({ query: 'mutation { logout(allSessions: true) }' });

let attacker: http.Server;
let attackerUrl: string;
beforeAll(async () => {
  attacker = http.createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Win a prize</title>'));
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => attacker.close(() => resolve())));

test('a cross-site page cannot make a state-changing request with the user’s cookies: CORS, the JSON-only rule and SameSite each refuse it', async () => {
  const profile = await example.profile();
  const victim = await profile.open('/login');
  await registerThroughTheApp(victim);
  const evil = await profile.context.newPage(); // same profile: the user's cookie jar
  await evil.goto(attackerUrl);
  const sent: Request[] = [];
  evil.on('request', (request) => request.url().startsWith(example.apiUrl) && sent.push(request));

  // 1. JSON with credentials needs a CORS preflight; the API does not allow this origin.
  const json = await evil.evaluate(`fetch(${JSON.stringify(example.apiUrl)}, { method: 'POST', credentials: 'include',
      headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(LOGOUT_EVERYWHERE)} })
    .then((response) => 'answered ' + response.status, (error) => error.name + ': ' + error.message)`);
  expect(json).toBe('TypeError: Failed to fetch');

  // 2. A "simple" request (text/plain, no preflight): sent, but refused as not JSON, and without the cookies.
  const simple = await evil.evaluate(`fetch(${JSON.stringify(example.apiUrl)}, { method: 'POST', mode: 'no-cors', credentials: 'include',
      headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(LOGOUT_EVERYWHERE)} }).then((response) => response.type)`);
  expect(simple).toBe('opaque');
  const textPlain = sent.find((request) => request.method() === 'POST' && request.headers()['content-type'] === 'text/plain')!;
  expect((await textPlain.response())!.status()).toBe(415);
  expect(await textPlain.allHeaders()).not.toHaveProperty('cookie');

  // 3. A form posted by navigation: refused the same way (415), again without the SameSite=Lax cookies.
  const [formResponse] = await Promise.all([
    evil.waitForResponse((response) => response.url().startsWith(example.apiUrl)),
    evil.evaluate(`(() => { const form = document.createElement('form'); form.method = 'POST'; form.action = ${JSON.stringify(example.apiUrl)};
      const input = document.createElement('input'); input.name = 'query'; input.value = 'mutation { logout(allSessions: true) }';
      form.append(input); document.body.append(form); form.submit(); })()`),
  ]);
  expect(formResponse.status()).toBe(415);
  expect(await formResponse.request().allHeaders()).not.toHaveProperty('cookie');
  await evil.waitForURL(example.apiUrl); // the form navigated the tab: back to the attacker's page
  await evil.goto(attackerUrl);

  // 4. GET: a script's GET lacks the header Apollo's CSRF prevention requires (400); a top-level
  //    navigation (which does carry Lax cookies) gets the Sandbox landing page, and nothing runs.
  const getUrl = `${example.apiUrl}?query=${encodeURIComponent('mutation { logout(allSessions: true) }')}`;
  expect(await evil.evaluate('location.origin')).toBe(new URL(attackerUrl).origin);
  await evil.evaluate(`fetch(${JSON.stringify(getUrl)}, { mode: 'no-cors', credentials: 'include' })`);
  const scriptGet = sent.find((request) => request.method() === 'GET')!;
  expect((await scriptGet.response())!.status()).toBe(400);
  expect(await scriptGet.allHeaders()).not.toHaveProperty('cookie');
  const navigation = await evil.goto(getUrl);
  expect(navigation!.headers()['content-type']).toMatch(/^text\/html/);
  expect(await navigation!.text()).not.toContain('"logout"');

  // Nothing changed: the user is still signed in, with the same one session.
  await victim.click('#reload');
  await victim.click('a[href="/sessions"]');
  await victim.waitForSelector('tr.session');
  expect(await victim.locator('tr.session').count()).toBe(1);
  expect(await victim.textContent('#status')).toContain('Signed in as Ada Tabs');
  expect(await victim.isHidden('#error')).toBe(true);
});

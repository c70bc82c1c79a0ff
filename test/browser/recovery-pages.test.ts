// The pages the §10 mail links open, and the sign-in code step of §11, in Chromium against the real
// API whose mail goes to a real SMTP server in this process (APP_URL = the example app, so the mailed
// links point at it): verify the address, reset a forgotten password, and sign in with TOTP.
import type { Page } from 'playwright-core';
import { logIn, newAccount } from '../helpers/accounts';
import { startMailbox, type Mailbox, type ReceivedMail } from '../helpers/mailbox';
import { enrollTotp, movableClock, totpCode } from '../helpers/mfa';
import { ME_VERIFIED } from '../helpers/recovery';
import { registerThroughTheApp, useExample } from './browser';

jest.setTimeout(60_000);
let mailbox: Mailbox;
beforeAll(async () => {
  mailbox = await startMailbox();
});
afterAll(() => mailbox.close());
const example = useExample((app) => ({ SMTP_URL: mailbox.url, MAIL_RETRY_DELAY: '1s', APP_URL: app.url }));

/** The mail to `email` whose link opens `path` of the app. */
const linkMail = (email: string, path: string) =>
  mailbox.waitFor((mail: ReceivedMail) => mail.to === email && mail.link !== undefined && new URL(mail.link).pathname === path);

async function signInThroughTheApp(page: Page, email: string, password: string): Promise<void> {
  await page.fill('#login input[name=email]', email);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
}

test('a new user opens the verification link from the mail and the page says the address is verified; me.emailVerified turns true', async () => {
  const profile = await example.profile();
  const page = await profile.open('/login');
  const account = await registerThroughTheApp(page);
  expect(await page.textContent('#me-verified')).toContain('No');

  const mail = await linkMail(account.email, '/verify-email');
  expect(new URL(mail.link!).origin).toBe(example.app.url);
  await page.goto(mail.link!);
  await page.waitForSelector('#verify-result');
  expect(await page.textContent('#verify-result')).toBe(`${account.email} is verified.`);
  expect(await page.isHidden('#error')).toBe(true);
  // The token does not follow the user to the next page.
  await page.click('a[href="/me"]');
  await page.locator('#me-verified', { hasText: 'Yes' }).waitFor();
  expect(new URL(page.url()).searchParams.has('token')).toBe(false);

  const session = await logIn(example.api, account);
  const me = await example.api.gql(ME_VERIFIED, {}, { token: session.accessToken });
  expect(me.data?.me).toEqual({ id: session.id, email: account.email, emailVerified: true });

  // The same link a second time is refused, and the page shows the error instead of a success.
  await page.goto(mail.link!);
  await page.locator('#error').waitFor();
  expect(await page.textContent('#error')).toContain('(BAD_USER_INPUT)');
  expect(await page.locator('#verify-result').count()).toBe(0);
});

test('"Forgot password?" mails a reset link; the page it opens sets a new password, which then signs in while the old one is refused', async () => {
  const account = await newAccount(example.api);
  const profile = await example.profile();
  const page = await profile.open('/login');
  await page.click('a[href="/forgot-password"]');
  await page.fill('#forgot-password input[name=email]', account.email);
  await page.click('#forgot-password button[type=submit]');
  await page.locator('#notice', { hasText: 'a link to set a new password is on its way' }).waitFor();

  const mail = await linkMail(account.email, '/reset-password');
  expect(new URL(mail.link!).origin).toBe(example.app.url);
  await page.goto(mail.link!);
  const newPassword = 'a brand new passphrase for ada';
  await page.fill('#reset-password input[name=newPassword]', newPassword);
  await page.click('#reset-password button[type=submit]');
  await page.locator('#notice', { hasText: 'Your password is changed. Sign in with the new one.' }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/login');
  expect(new URL(page.url()).searchParams.has('token')).toBe(false);

  // The old password no longer signs in; the new one does, through the page.
  await signInThroughTheApp(page, account.email, account.password);
  await page.locator('#error').waitFor();
  expect(await page.textContent('#error')).toContain('(UNAUTHENTICATED)');
  await signInThroughTheApp(page, account.email, newPassword);
  await page.waitForSelector('#me-name');
  expect(await page.textContent('#me-email')).toBe(account.email);
  expect(await page.textContent('#status')).toContain('Signed in as');
  await expect(logIn(example.api, { email: account.email, password: newPassword })).resolves.toMatchObject({ email: account.email });
});

test('"Change email" mails a link to the new address; the page it opens makes it the account email, which then signs in', async () => {
  const profile = await example.profile();
  const page = await profile.open('/login');
  const account = await registerThroughTheApp(page);
  const newEmail = `moved-${account.email}`;
  await page.click('a[href="/change-email"]');
  await page.fill('#change-email input[name=newEmail]', newEmail);
  await page.fill('#change-email input[name=currentPassword]', account.password);
  await page.click('#change-email button[type=submit]');
  await page.locator('#notice', { hasText: `A confirmation link is on its way to ${newEmail}.` }).waitFor();

  const mail = await linkMail(newEmail, '/confirm-email');
  expect(new URL(mail.link!).origin).toBe(example.app.url);
  await page.goto(mail.link!);
  await page.waitForSelector('#confirm-result');
  expect(await page.textContent('#confirm-result')).toBe(`Your account email is now ${newEmail}.`);
  await page.click('a[href="/me"]');
  await page.locator('#me-email', { hasText: newEmail }).waitFor();
  await expect(logIn(example.api, { email: newEmail, password: account.password })).resolves.toMatchObject({ email: newEmail });
  await expect(logIn(example.api, account)).rejects.toThrow(/login failed/);
});

test('an account with TOTP signs in through the code step: a wrong code is refused on the page, the right one signs in', async () => {
  const account = await newAccount(example.api);
  const clock = movableClock();
  const { secret } = await enrollTotp(example.api, account, clock);
  const profile = await example.profile();
  const page = await profile.open('/login');
  const mfaCalls: string[] = [];
  page.on('request', (request) => {
    const body = request.postData() ?? '';
    if (body.includes('"operationName":"VerifyMfa"')) mfaCalls.push(body);
  });

  await signInThroughTheApp(page, account.email, account.password);
  await page.waitForSelector('#mfa');
  expect(await page.textContent('#status')).toBe('Signed out');
  const right = await totpCode(secret, clock());
  await page.fill('#mfa input[name=code]', right === '000000' ? '111111' : '000000');
  await page.click('#mfa button[type=submit]');
  await page.locator('#error').waitFor();
  expect(await page.textContent('#error')).toContain('(UNAUTHENTICATED)');
  expect(await page.textContent('#status')).toBe('Signed out');
  expect(mfaCalls).toHaveLength(1); // refused, not refreshed and replayed

  await page.fill('#mfa input[name=code]', right);
  await page.click('#mfa button[type=submit]');
  await page.waitForSelector('#me-name');
  expect(await page.textContent('#me-email')).toBe(account.email);
  expect(await page.textContent('#status')).toContain('Signed in as');
  expect(mfaCalls).toHaveLength(2);
  // The session is a real one: it survives a reload (the refresh cookie set by verifyMfa).
  await page.reload();
  await page.waitForSelector('#me-name');
  expect(await page.textContent('#me-email')).toBe(account.email);
});

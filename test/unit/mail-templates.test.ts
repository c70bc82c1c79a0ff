// The mails themselves (SPEC §10): each has a subject, a text and an HTML part saying what it is for,
// when its link expires, and what to do if it wasn't you; user text never becomes markup.
import type { Mail } from '../../src/mail/mail';
import { render } from '../../src/mail/mail-sender';

const LINK = 'https://app.example.com/reset-password?token=abc_DEF-123';
const NAME = '<script>alert("x")</script> & Co';

const mails: Mail[] = [
  { template: 'verify-email', to: 'a@example.com', userId: null, params: { name: NAME, link: LINK, expiresIn: '24 hours' } },
  { template: 'reset-password', to: 'a@example.com', userId: null, params: { name: NAME, link: LINK, expiresIn: '30 minutes' } },
  { template: 'email-change-confirm', to: 'new@example.com', userId: null, params: { name: NAME, link: LINK, expiresIn: '24 hours', newEmail: 'new@example.com' } },
];
const notices: Mail[] = [
  { template: 'password-changed', to: 'a@example.com', userId: null, params: { name: NAME, when: '2026-12-06 20:00 UTC', how: 'changed' } },
  { template: 'email-change-notice', to: 'old@example.com', userId: null, params: { name: NAME, newEmail: 'new@example.com', expiresIn: '24 hours' } },
];

it.each(mails.map((mail) => [mail.template, mail] as const))('%s: link in both parts, its expiry, and "if this wasn\'t you"', (_name, mail) => {
  const rendered = render(mail);

  expect(rendered.subject.length).toBeGreaterThan(5);
  expect(rendered.to).toBe(mail.to);
  expect(rendered.link).toBe(LINK);
  expect(rendered.text).toContain(LINK);
  expect(rendered.html).toContain(`href="${LINK}"`);
  expect(rendered.text).toMatch(/expires in (24 hours|30 minutes)/);
  expect(rendered.text).toMatch(/If (you didn't|this wasn't you)/);
  expect(rendered.html).toMatch(/If (you didn&#39;t|this wasn&#39;t you)/);
});

it.each(notices.map((mail) => [mail.template, mail] as const))('%s: a notice without a link that says what to do if it was not you', (_name, mail) => {
  const rendered = render(mail);

  expect(rendered.link).toBeUndefined();
  expect(rendered.html).not.toContain('href=');
  expect(rendered.text).toMatch(/If this wasn't you/);
});

it('escapes user-controlled text in the HTML part', () => {
  for (const mail of [...mails, ...notices]) {
    const { html, text } = render(mail);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
    expect(text).toContain(NAME); // plain text stays as typed
  }
});

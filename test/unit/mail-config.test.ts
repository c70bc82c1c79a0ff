// The mail and recovery part of loadConfig (SPEC §10): defaults, link templates, and production's SMTP rule.
import { loadConfig } from '../../src/config/config';
import { configProblems } from '../helpers/config-problems';


it('defaults to the dev mailbox under DATA_DIR/mail, optional verification and the SPEC link formats', () => {
  const config = loadConfig({ DATA_DIR: '/tmp/somewhere' });

  expect(config.mail).toMatchObject({
    smtpUrl: undefined,
    from: 'Portcullis <no-reply@localhost>',
    devMailboxDir: '/tmp/somewhere/mail',
    maxAttempts: 10,
    links: {
      verifyEmail: 'http://localhost:3000/verify-email?token={token}',
      resetPassword: 'http://localhost:3000/reset-password?token={token}',
      confirmEmail: 'http://localhost:3000/confirm-email?token={token}',
    },
  });
  expect(config.mail.retryDelay.seconds).toBe(180);
  expect(config.recovery.emailVerification).toBe('optional');
  expect(config.recovery.verifyEmailTtl.seconds).toBe(86_400);
  expect(config.recovery.passwordResetTtl.seconds).toBe(1_800);
  expect(config.rateLimits.passwordResetPerEmail).toMatchObject({ points: 3 });
  expect(config.rateLimits.passwordResetPerEmail.window.seconds).toBe(3_600);
});

it('fills APP_URL into the link templates, without a trailing slash', () => {
  const config = loadConfig({ APP_URL: 'https://app.example.com/', RESET_PASSWORD_URL: '{APP_URL}/#/reset/{token}' });

  expect(config.mail.links.resetPassword).toBe('https://app.example.com/#/reset/{token}');
  expect(config.mail.links.verifyEmail).toBe('https://app.example.com/verify-email?token={token}');
});

it('refuses a link template without {token} or that is no http(s) URL, with a fix-it line each', () => {
  expect(configProblems({ VERIFY_EMAIL_URL: '{APP_URL}/verify', CONFIRM_EMAIL_URL: 'javascript:alert({token})' })).toEqual([
    expect.stringMatching(/^VERIFY_EMAIL_URL must be an http\(s\) URL containing \{token\}, like /),
    expect.stringMatching(/^CONFIRM_EMAIL_URL must be an http\(s\) URL containing \{token\}/),
  ]);
});

it('refuses SMTP_URL of another scheme and an unknown EMAIL_VERIFICATION, and reads the latter case-insensitively', () => {
  expect(configProblems({ SMTP_URL: 'http://mail', EMAIL_VERIFICATION: 'sometimes' })).toEqual([
    expect.stringMatching(/^SMTP_URL must be a smtp: or smtps:\/\/ URL/),
    expect.stringMatching(/^EMAIL_VERIFICATION must be one of off, optional, required/),
  ]);
  expect(loadConfig({ EMAIL_VERIFICATION: 'Required' }).recovery.emailVerification).toBe('required');
});

it('requires SMTP_URL in production: the dev mailbox is for development', () => {
  const production = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgresql://db/portcullis',
    REDIS_URL: 'redis://cache:6379',
    JWT_SECRET: 'access-secret-of-exactly-32-byte',
    JWT_REFRESH_SECRET: 'refresh-secret-of-32-bytes-long!',
    DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  };

  expect(configProblems(production)).toEqual([expect.stringMatching(/^SMTP_URL is required in production \(like smtp:\/\/user:pass@/)]);
  expect(loadConfig({ ...production, SMTP_URL: 'smtps://u:p@mail.example.com:465' }).mail.smtpUrl).toBe('smtps://u:p@mail.example.com:465');
});

it('refuses MAIL_MAX_ATTEMPTS outside 1–50', () => {
  expect(configProblems({ MAIL_MAX_ATTEMPTS: '0' })).toEqual([expect.stringMatching(/^MAIL_MAX_ATTEMPTS must be a whole number from 1 to 50/)]);
});

// The mail and account-recovery part of Config (SPEC §10): checked and assembled from the parsed env.
import path from 'node:path';
import type { Duration } from './duration';
import type { Env } from './env.schema';

export type EmailVerification = 'off' | 'optional' | 'required';

export interface MailConfig {
  /** Unset: the dev mailbox (never in production). */
  readonly smtpUrl: string | undefined;
  readonly from: string;
  /** Where the .eml files of the dev mailbox go. */
  readonly devMailboxDir: string;
  readonly maxAttempts: number;
  readonly retryDelay: Duration;
  readonly pollInterval: Duration;
  /** Link templates with {token}, APP_URL already filled in. */
  readonly links: { readonly verifyEmail: string; readonly resetPassword: string; readonly confirmEmail: string };
}

export interface RecoveryConfig {
  readonly emailVerification: EmailVerification;
  readonly verifyEmailTtl: Duration;
  readonly passwordResetTtl: Duration;
  readonly emailChangeTtl: Duration;
}

const LINKS = { verifyEmail: 'VERIFY_EMAIL_URL', resetPassword: 'RESET_PASSWORD_URL', confirmEmail: 'CONFIRM_EMAIL_URL' } as const;

export function mailConfig(env: Env, problems: string[]): { mail: MailConfig; recovery: RecoveryConfig } {
  if (env.NODE_ENV === 'production' && !env.SMTP_URL) {
    problems.push('SMTP_URL is required in production (like smtp://user:pass@mail.example.com:587): without it mail only reaches the dev mailbox on disk');
  }
  const links = Object.fromEntries(
    Object.entries(LINKS).map(([name, variable]) => [name, linkTemplate(variable, env[variable], env.APP_URL, problems)]),
  ) as unknown as MailConfig['links'];
  return {
    mail: {
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM,
      devMailboxDir: path.join(env.DATA_DIR, 'mail'),
      maxAttempts: env.MAIL_MAX_ATTEMPTS,
      retryDelay: env.MAIL_RETRY_DELAY,
      pollInterval: env.MAIL_POLL_INTERVAL,
      links,
    },
    recovery: {
      emailVerification: env.EMAIL_VERIFICATION,
      verifyEmailTtl: env.EMAIL_VERIFICATION_TTL,
      passwordResetTtl: env.PASSWORD_RESET_TTL,
      emailChangeTtl: env.EMAIL_CHANGE_TTL,
    },
  };
}

/** `{APP_URL}` is filled in now; `{token}` must be there, and the result must be an http(s) URL. */
function linkTemplate(variable: string, template: string, appUrl: string, problems: string[]): string {
  const filled = template.trim().replaceAll('{APP_URL}', appUrl);
  let valid = filled.includes('{token}');
  try {
    valid &&= ['http:', 'https:'].includes(new URL(filled.replaceAll('{token}', 'x')).protocol);
  } catch {
    valid = false;
  }
  if (!valid) problems.push(`${variable} must be an http(s) URL containing {token}, like {APP_URL}/reset-password?token={token} (got "${template}")`);
  return filled;
}

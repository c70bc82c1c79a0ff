// What the account-recovery services share: storage, the users layer, limits, audit and settings.
import type { Logger } from 'pino';
import type { AuditLog, AuthEventInput } from '../audit/audit-event';
import type { ClientInfo } from '../auth/auth.service';
import type { PasswordHasher } from '../auth/password';
import type { RateLimits } from '../auth/rate-limit';
import type { Duration } from '../config/duration';
import type { MailConfig, RecoveryConfig } from '../config/mail.config';
import { BadUserInputError } from '../errors';
import type { Mail } from '../mail/mail';
import { humanDuration } from '../mail/templates';
import type { SessionStore } from '../sessions/session-store';
import type { UserRepository } from '../users/user';
import { newOneTimeToken, type TokenPurpose } from './one-time-token';
import type { RecoveryStore } from './recovery.store';

export interface RecoveryDeps {
  store: RecoveryStore;
  users: UserRepository;
  /** Drops a user changed here from every instance's user cache. */
  invalidate: (userId: string) => Promise<void>;
  sessions: SessionStore;
  hasher: PasswordHasher;
  limits: RateLimits;
  audit: AuditLog;
  logger: Pick<Logger, 'warn' | 'error'>;
  settings: RecoveryConfig;
  links: MailConfig['links'];
}

/** The link a mail carries: the configured template with the token in it. */
export const linkWith = (template: string, token: string): string => template.replaceAll('{token}', encodeURIComponent(token));

export const expiresIn = (ttl: { seconds: number }): string => humanDuration(ttl.seconds);

/** Every refused token answers the same, whatever was wrong with it (SPEC §10). */
export const invalidToken = (): BadUserInputError => new BadUserInputError([{ field: 'token', message: 'is invalid, used or expired' }]);

export function audit(deps: Pick<RecoveryDeps, 'audit'>, event: AuthEventInput, client: ClientInfo): void {
  deps.audit.record({ ...event, ip: client.ip, userAgent: client.userAgent });
}

/**
 * Steps after the change committed (a limiter point back, a lock-out cleared, caches dropped): a Redis
 * failure there is logged, not answered, so the client learns the truth — the change was made.
 */
export async function afterCommit(deps: Pick<RecoveryDeps, 'logger'>, userId: string, steps: Array<() => Promise<unknown>>): Promise<void> {
  for (const step of steps) {
    await step().catch((error: unknown) => deps.logger.error({ err: error, userId }, 'account recovery: a step after the change failed'));
  }
}

export interface LinkMail {
  userId: string;
  purpose: TokenPurpose;
  /** The address the token is bound to (the new one for an email change). */
  email: string;
  ttl: Duration;
  /** The configured link template ({token} is replaced). */
  link: string;
  /** The mails that go out with the token, given its link and how long it lasts. */
  mails: (link: string, expiresIn: string) => Mail[];
}

/** A new one-time token, stored (replacing any older one of its purpose) in one transaction with its mails. */
export async function issueLinkMail(deps: Pick<RecoveryDeps, 'store'>, request: LinkMail): Promise<void> {
  const { token, hash } = newOneTimeToken();
  const { userId, purpose, email, ttl } = request;
  await deps.store.issue({ userId, purpose, email, hash, ttl }, request.mails(linkWith(request.link, token), expiresIn(ttl)));
}

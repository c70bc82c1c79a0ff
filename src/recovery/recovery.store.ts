// What account recovery needs from storage: each method is one transaction, so a token never exists
// without its mail, a password never changes without its notice, and a token is consumed at most once.
import type { Duration } from '../config/duration';
import type { Mail } from '../mail/mail';
import type { UserRecord } from '../users/user';
import type { TokenPurpose } from './one-time-token';

export interface NewToken {
  userId: string;
  purpose: TokenPurpose;
  /** The address the link goes to; the token is void once the user's email is no longer it (CHANGE_EMAIL: the new one). */
  email: string;
  hash: string;
  ttl: Duration;
}

export type EmailChangeResult = { outcome: 'changed'; user: UserRecord; previousEmail: string } | { outcome: 'conflict' } | { outcome: 'invalid' };

/**
 * `viewerId`: who is signed in while presenting the token, if anyone. A token of another user is then
 * refused (and left as it was): a link is only ever used by the account it was sent for.
 */
export interface RecoveryStore {
  /** Replaces the user's token of this purpose (voiding the older one) and queues the mails. */
  issue(token: NewToken, mails: Mail[]): Promise<void>;
  /**
   * The same statements as `issue` for nobody, rolled back: an unknown email costs what a known one does.
   */
  rehearseIssue(): Promise<void>;
  /** Consumes a live VERIFY_EMAIL token of an active user whose email is still the token's; marks it verified. */
  verifyEmail(tokenHash: string, viewerId: string | null): Promise<UserRecord | null>;
  /**
   * Consumes a live RESET_PASSWORD token of an active user, sets the password, marks the email verified,
   * voids the user's other tokens and queues the notice. Null: no such token (nothing changed).
   */
  resetPassword(tokenHash: string, viewerId: string | null, passwordHash: string, notice: (user: UserRecord) => Mail): Promise<UserRecord | null>;
  /** The user a live RESET_PASSWORD token names, without consuming it. */
  peekReset(tokenHash: string): Promise<string | null>;
  /** Consumes a live CHANGE_EMAIL token and moves the user to its address; a taken address changes nothing. */
  confirmEmailChange(tokenHash: string, viewerId: string | null): Promise<EmailChangeResult>;
  /** Sets a new password hash and queues the notice, together. */
  changePassword(userId: string, passwordHash: string, notice: Mail): Promise<void>;
}

// Password reset (SPEC §10): requestPasswordReset answers true for every email in about the same
// time; resetPassword consumes the link, sets the password, verifies the email, ends every session
// and clears the login lock-out. changePassword's notice mail goes through here too.
import type { ClientInfo } from '../auth/auth.service';
import type { Viewer } from '../auth/viewer';
import { isRegistrableEmail, normalizeEmail, passwordSchema } from '../auth/auth.validation';
import { BadUserInputError } from '../errors';
import type { Mail } from '../mail/mail';
import type { UserRecord } from '../users/user';
import { presentedTokenHash, TokenPurpose } from './one-time-token';
import { afterCommit, audit, invalidToken, issueLinkMail, type RecoveryDeps } from './recovery.deps';

export class PasswordResetService {
  constructor(private readonly deps: RecoveryDeps) {}

  /**
   * Known or not, the same work: one user read, then a token-and-mail transaction that commits for an
   * active account and is rehearsed and rolled back for anything else. Nothing in the answer differs.
   */
  async request(email: string, client: ClientInfo): Promise<void> {
    const normalized = normalizeEmail(email);
    await this.deps.limits.beginPasswordResetRequest(normalized, client.ip);
    const user = isRegistrableEmail(email) ? await this.deps.users.findByEmail(normalized) : null;
    if (!user?.active) {
      await this.deps.store.rehearseIssue();
      audit(this.deps, { type: 'PASSWORD_RESET_REQUESTED', outcome: 'FAILURE', userId: user?.id ?? null, reason: user ? 'account disabled' : 'unknown email' }, client);
      return;
    }
    await issueLinkMail(this.deps, {
      userId: user.id,
      purpose: TokenPurpose.RESET_PASSWORD,
      email: user.email,
      ttl: this.deps.settings.passwordResetTtl,
      link: this.deps.links.resetPassword,
      mails: (link, expiresIn) => [{ template: 'reset-password', to: user.email, userId: user.id, params: { name: user.name, link, expiresIn } }],
    });
    audit(this.deps, { type: 'PASSWORD_RESET_REQUESTED', outcome: 'SUCCESS', userId: user.id }, client);
  }

  async reset(token: string, newPassword: string, viewer: Viewer | null, client: ClientInfo): Promise<void> {
    const hash = presentedTokenHash(token);
    await this.deps.limits.beginTokenAttempt(client.ip);
    const refused = () => {
      audit(this.deps, { type: 'PASSWORD_RESET', outcome: 'FAILURE', reason: 'invalid token' }, client);
      return invalidToken();
    };
    if (!hash) throw refused();
    const policy = passwordSchema.safeParse(newPassword);
    if (!policy.success) throw new BadUserInputError([{ field: 'newPassword', message: policy.error.issues[0]!.message }]);
    // Sessions end before the change (a Redis outage stops the reset before anything changed) and
    // again after it, for a login that slipped in with the old password meanwhile.
    const userId = await this.deps.store.peekReset(hash);
    if (!userId || (viewer && viewer.userId !== userId)) throw refused();
    await this.deps.sessions.revokeAll(userId);
    const passwordHash = await this.deps.hasher.hash(newPassword);
    const user = await this.deps.store.resetPassword(hash, viewer?.userId ?? null, passwordHash, (changed) => this.notice(changed, 'reset'));
    if (!user) throw refused();
    await afterCommit(this.deps, user.id, [
      () => this.deps.sessions.revokeAll(user.id),
      () => this.deps.limits.tokenAccepted(client.ip),
      () => this.deps.limits.accountRecovered(user.email),
      () => this.deps.invalidate(user.id),
    ]);
    audit(this.deps, { type: 'PASSWORD_RESET', outcome: 'SUCCESS', userId: user.id }, client);
  }

  /** changePassword: the new hash and the notice mail land together. */
  async changePassword(user: UserRecord, passwordHash: string): Promise<void> {
    await this.deps.store.changePassword(user.id, passwordHash, this.notice(user, 'changed'));
    await this.deps.invalidate(user.id);
  }

  private notice(user: UserRecord, how: 'changed' | 'reset'): Mail {
    const when = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    return { template: 'password-changed', to: user.email, userId: user.id, params: { name: user.name, when, how } };
  }
}

// Email verification (SPEC §10): the mail sent on register (EMAIL_VERIFICATION optional or required),
// resendVerificationEmail, verifyEmail, and the login gate of EMAIL_VERIFICATION=required.
import type { ClientInfo } from '../auth/auth.service';
import type { Viewer } from '../auth/viewer';
import { EmailNotVerifiedError, UnauthenticatedError } from '../errors';
import type { UserRecord } from '../users/user';
import { presentedTokenHash, TokenPurpose } from './one-time-token';
import { afterCommit, audit, invalidToken, issueLinkMail, type RecoveryDeps } from './recovery.deps';

export class EmailVerificationService {
  constructor(private readonly deps: RecoveryDeps) {}

  /** Called by register in its transaction's place: the account exists, its verification mail is queued. */
  async registered(user: UserRecord, client: ClientInfo): Promise<void> {
    if (this.deps.settings.emailVerification === 'off') return;
    await this.send(user, client);
  }

  /** Login's gate: with EMAIL_VERIFICATION=required, only after the right password. */
  checkLogin(user: UserRecord): void {
    if (this.deps.settings.emailVerification === 'required' && !user.emailVerified) throw new EmailNotVerifiedError();
  }

  get required(): boolean {
    return this.deps.settings.emailVerification === 'required';
  }

  /** A fresh link (the older one stops working); nothing is sent for an address already verified. */
  async resend(viewer: Viewer, client: ClientInfo): Promise<void> {
    const user = await this.deps.users.findById(viewer.userId);
    if (!user?.active) throw new UnauthenticatedError();
    await this.deps.limits.beginAccountMail(user.id);
    if (user.emailVerified) return;
    await this.send(user, client);
  }

  async verify(token: string, viewer: Viewer | null, client: ClientInfo): Promise<UserRecord> {
    const hash = presentedTokenHash(token);
    await this.deps.limits.beginTokenAttempt(client.ip);
    const user = hash ? await this.deps.store.verifyEmail(hash, viewer?.userId ?? null) : null;
    if (!user) {
      audit(this.deps, { type: 'EMAIL_VERIFIED', outcome: 'FAILURE', reason: 'invalid token' }, client);
      throw invalidToken();
    }
    await afterCommit(this.deps, user.id, [() => this.deps.limits.tokenAccepted(client.ip), () => this.deps.invalidate(user.id)]);
    audit(this.deps, { type: 'EMAIL_VERIFIED', outcome: 'SUCCESS', userId: user.id }, client);
    return user;
  }

  private async send(user: UserRecord, client: ClientInfo): Promise<void> {
    await issueLinkMail(this.deps, {
      userId: user.id,
      purpose: TokenPurpose.VERIFY_EMAIL,
      email: user.email,
      ttl: this.deps.settings.verifyEmailTtl,
      link: this.deps.links.verifyEmail,
      mails: (link, expiresIn) => [{ template: 'verify-email', to: user.email, userId: user.id, params: { name: user.name, link, expiresIn } }],
    });
    audit(this.deps, { type: 'VERIFICATION_SENT', outcome: 'SUCCESS', userId: user.id }, client);
  }
}

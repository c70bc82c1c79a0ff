// Email change (SPEC §10): the current password asks for it, a link to the new address confirms it,
// and the old address is told. A taken address answers exactly like a free one until confirmation.
import type { ClientInfo } from '../auth/auth.service';
import { codePoints, parseEmail, PASSWORD_MAX } from '../auth/auth.validation';
import type { Viewer } from '../auth/viewer';
import { BadUserInputError, ConflictError, UnauthenticatedError } from '../errors';
import type { UserRecord } from '../users/user';
import { presentedTokenHash, TokenPurpose } from './one-time-token';
import { afterCommit, audit, invalidToken, issueLinkMail, type RecoveryDeps } from './recovery.deps';

export class EmailChangeService {
  constructor(private readonly deps: RecoveryDeps) {}

  async request(viewer: Viewer, newEmail: string, currentPassword: string, client: ClientInfo): Promise<void> {
    let email: string;
    try {
      email = parseEmail(newEmail);
    } catch {
      throw new BadUserInputError([{ field: 'newEmail', message: 'must be a valid email address' }]);
    }
    const { users, hasher, limits } = this.deps;
    const user = await users.findById(viewer.userId);
    if (!user?.active) throw new UnauthenticatedError();
    if (user.passwordHash === null) {
      // Created by an OpenID provider: there is no current password to prove. Password reset sets a first one.
      throw new BadUserInputError([{ field: 'currentPassword', message: 'this account has no password (it signs in through a provider): set one with password reset' }]);
    }
    // A wrong password here counts as a failed login of the account (SPEC §8), as in changePassword.
    await limits.beginLogin(user.email, client.ip);
    const matches = codePoints(currentPassword) <= PASSWORD_MAX && (await hasher.verify(user.passwordHash, currentPassword));
    if (!matches) {
      audit(this.deps, { type: 'EMAIL_CHANGE_REQUESTED', outcome: 'FAILURE', userId: user.id, reason: 'wrong current password' }, client);
      throw new BadUserInputError([{ field: 'currentPassword', message: 'is incorrect' }]);
    }
    await limits.loginSucceeded(user.email, client.ip);
    if (email === user.email) throw new BadUserInputError([{ field: 'newEmail', message: 'is already your email address' }]);
    await limits.beginAccountMail(user.id);
    await issueLinkMail(this.deps, {
      userId: user.id,
      purpose: TokenPurpose.CHANGE_EMAIL,
      email,
      ttl: this.deps.settings.emailChangeTtl,
      link: this.deps.links.confirmEmail,
      mails: (link, expiresIn) => [
        { template: 'email-change-confirm', to: email, userId: user.id, params: { name: user.name, newEmail: email, link, expiresIn } },
        { template: 'email-change-notice', to: user.email, userId: user.id, params: { name: user.name, newEmail: email, expiresIn } },
      ],
    });
    audit(this.deps, { type: 'EMAIL_CHANGE_REQUESTED', outcome: 'SUCCESS', userId: user.id }, client);
  }

  async confirm(token: string, viewer: Viewer | null, client: ClientInfo): Promise<UserRecord> {
    const hash = presentedTokenHash(token);
    await this.deps.limits.beginTokenAttempt(client.ip);
    const result = hash ? await this.deps.store.confirmEmailChange(hash, viewer?.userId ?? null) : ({ outcome: 'invalid' } as const);
    if (result.outcome === 'conflict') {
      audit(this.deps, { type: 'EMAIL_CHANGED', outcome: 'FAILURE', reason: 'address taken' }, client);
      throw new ConflictError('An account with this email already exists');
    }
    if (result.outcome === 'invalid') {
      audit(this.deps, { type: 'EMAIL_CHANGED', outcome: 'FAILURE', reason: 'invalid token' }, client);
      throw invalidToken();
    }
    const userId = result.user.id;
    await afterCommit(this.deps, userId, [() => this.deps.limits.tokenAccepted(client.ip), () => this.deps.invalidate(userId)]);
    audit(this.deps, { type: 'EMAIL_CHANGED', outcome: 'SUCCESS', userId: result.user.id, reason: 'confirmed by link' }, client);
    return result.user;
  }
}

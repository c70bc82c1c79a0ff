// changePassword (issue 6): the current password proves it is the user, the new one follows the
// register policy; the current session stays, every other session of the user is revoked.
import { noAudit, type Actor, type AuditLog } from '../audit/audit-event';
import { BadUserInputError, UnauthenticatedError } from '../errors';
import type { SessionStore } from '../sessions/session-store';
import type { UserRepository } from '../users/user';
import { codePoints, PASSWORD_MAX, passwordSchema } from './auth.validation';
import type { PasswordHasher } from './password';
import type { RateLimits } from './rate-limit';
import type { Viewer } from './viewer';

export interface PasswordChangeDeps {
  users: UserRepository;
  sessions: SessionStore;
  hasher: PasswordHasher;
  /** A wrong current password counts as a failed login of the account (SPEC §8): no brute force through here. */
  limits: Pick<RateLimits, 'beginLogin' | 'loginSucceeded'>;
  audit?: AuditLog;
}

export class PasswordChangeService {
  constructor(private readonly deps: PasswordChangeDeps) {}

  /** Returns how many other sessions were revoked. */
  async change(viewer: Viewer, currentPassword: string, newPassword: string, actor: Actor): Promise<number> {
    const { users, sessions, hasher } = this.deps;
    // The new password is checked first: it costs no hashing.
    const policy = passwordSchema.safeParse(newPassword);
    if (!policy.success) throw new BadUserInputError([{ field: 'newPassword', message: policy.error.issues[0]!.message }]);
    const user = await users.findById(viewer.userId);
    if (!user?.active) throw new UnauthenticatedError();
    if (user.passwordHash === null) {
      // Created by an OpenID provider: there is no current password to prove. Password reset sets a first one.
      throw new BadUserInputError([{ field: 'currentPassword', message: 'this account has no password (it signs in through a provider): set one with password reset' }]);
    }
    await this.deps.limits.beginLogin(user.email, actor.ip);
    // An over-long current password cannot be the stored one: refuse it without hashing.
    const matches = codePoints(currentPassword) <= PASSWORD_MAX && (await hasher.verify(user.passwordHash, currentPassword));
    const event = { type: 'PASSWORD_CHANGED', userId: user.id, actorId: user.id, sessionId: viewer.sessionId, ip: actor.ip, userAgent: actor.userAgent } as const;
    const audit = this.deps.audit ?? noAudit;
    if (!matches) audit.record({ ...event, outcome: 'FAILURE', reason: 'wrong current password' });
    if (!matches) throw new BadUserInputError([{ field: 'currentPassword', message: 'is incorrect' }]);
    await this.deps.limits.loginSucceeded(user.email, actor.ip);
    if (newPassword === currentPassword) {
      throw new BadUserInputError([{ field: 'newPassword', message: 'must differ from the current password' }]);
    }
    await users.updatePasswordHash(user.id, await hasher.hash(newPassword));
    const revoked = await sessions.revokeAll(user.id, { except: viewer.sessionId });
    audit.record({ ...event, outcome: 'SUCCESS', reason: `${revoked} other sessions revoked` });
    return revoked;
  }
}

// Turning the TOTP second factor on and off (SPEC §11): enrollment, confirmation with the first code
// (which returns the recovery codes, once), new recovery codes, disabling with the password, and an
// ADMIN's reset. Turning it on or off revokes the user's other sessions.
import type { Logger } from 'pino';
import { noAudit, type Actor, type AuditLog, type AuthEventInput } from '../audit/audit-event';
import { codePoints, PASSWORD_MAX } from '../auth/auth.validation';
import type { PasswordHasher } from '../auth/password';
import type { RateLimits } from '../auth/rate-limit';
import type { Clock } from '../auth/tokens';
import type { Viewer } from '../auth/viewer';
import type { Config } from '../config/config';
import type { DataCipher } from '../crypto/data-cipher';
import { BadUserInputError, ConflictError, UnauthenticatedError } from '../errors';
import type { SessionStore } from '../sessions/session-store';
import type { UserRecord, UserRepository } from '../users/user';
import { totpContext, type CodeVerifier } from './code-verifier';
import { notifyFactorChange, type FactorChange, type FactorNotifier } from './factor-notice';
import type { MfaRepository } from './mfa.repository';
import { newRecoveryCodes, recoveryCodeHashes } from './recovery-codes';
import { newTotpSecret, qrCodeSvg, totpStep, totpUri } from './totp';

/** An enrollment not confirmed within this time does nothing and must be started again. */
export const ENROLLMENT_TTL_SECONDS = 10 * 60;

export interface TotpEnrollment {
  secret: string;
  otpauthUri: string;
  qrCodeSvg: string;
}

export interface TotpEnrollmentDeps {
  users: UserRepository;
  repository: MfaRepository;
  verifier: CodeVerifier;
  cipher: DataCipher;
  hasher: PasswordHasher;
  sessions: SessionStore;
  /** Wrong passwords and codes here count as failed logins of the account (SPEC §8). */
  limits: Pick<RateLimits, 'beginLogin' | 'loginSucceeded'>;
  settings: Pick<Config['mfa'], 'totpIssuer'>;
  clock: Clock;
  logger: Pick<Logger, 'warn'>;
  audit?: AuditLog;
  /** The notice mail, once the mail component exists (issue 11); unset: none is sent. */
  notifier?: FactorNotifier;
}

export class TotpEnrollmentService {
  constructor(private readonly deps: TotpEnrollmentDeps) {}

  async isEnabled(userId: string): Promise<boolean> {
    return Boolean((await this.deps.repository.findTotp(userId))?.confirmedAt);
  }

  async start(viewer: Viewer, actor: Actor): Promise<TotpEnrollment> {
    const user = await this.user(viewer);
    const secret = newTotpSecret();
    if (!(await this.deps.repository.savePendingTotp(user.id, this.deps.cipher.encrypt(secret, totpContext(user.id)), new Date(this.deps.clock() * 1000)))) {
      throw new ConflictError('A second factor is already on: disable it before enrolling again');
    }
    const otpauthUri = totpUri(secret, this.deps.settings.totpIssuer, user.email);
    this.event({ type: 'MFA_ENROLLMENT_STARTED', outcome: 'SUCCESS', userId: user.id }, viewer, actor);
    return { secret, otpauthUri, qrCodeSvg: await qrCodeSvg(otpauthUri) };
  }

  /** Returns the ten recovery codes: the only time they are shown. */
  async confirm(viewer: Viewer, code: string, actor: Actor): Promise<string[]> {
    const { repository, clock } = this.deps;
    const user = await this.user(viewer);
    const factor = await repository.findTotp(user.id);
    const expired = factor && factor.createdAt.getTime() / 1000 + ENROLLMENT_TTL_SECONDS < clock();
    if (!factor || factor.confirmedAt || expired) {
      throw new BadUserInputError([{ field: 'code', message: expired ? 'the enrollment expired: call startTotpEnrollment again' : 'no enrollment in progress: call startTotpEnrollment first' }]);
    }
    const step = await totpStep(await this.deps.verifier.secretOf(factor), code.replace(/\s/g, ''), clock());
    if (step === null) {
      this.event({ type: 'MFA_ENABLED', outcome: 'FAILURE', userId: user.id, reason: 'wrong confirmation code' }, viewer, actor);
      throw new BadUserInputError([{ field: 'code', message: 'is incorrect' }]);
    }
    const codes = newRecoveryCodes();
    if (!(await repository.confirmTotp(user.id, step, recoveryCodeHashes(codes)))) {
      throw new ConflictError('The enrollment changed meanwhile: start again');
    }
    await this.changed(user, viewer, actor, 'MFA_ENABLED', 'TOTP_ENABLED');
    return codes;
  }

  async regenerateRecoveryCodes(viewer: Viewer, code: string, actor: Actor): Promise<string[]> {
    const user = await this.user(viewer);
    if (!(await this.isEnabled(user.id))) throw new BadUserInputError([{ field: 'code', message: 'no second factor is on' }]);
    await this.deps.limits.beginLogin(user.email, actor.ip);
    const check = await this.deps.verifier.check(user.id, code, { allowRecoveryCode: false });
    if (!check.ok) {
      this.event({ type: 'RECOVERY_CODES_REGENERATED', outcome: 'FAILURE', userId: user.id, reason: check.reason }, viewer, actor);
      throw new BadUserInputError([{ field: 'code', message: 'is incorrect' }]);
    }
    await this.deps.limits.loginSucceeded(user.email, actor.ip);
    const codes = newRecoveryCodes();
    await this.deps.repository.replaceRecoveryCodes(user.id, recoveryCodeHashes(codes));
    this.event({ type: 'RECOVERY_CODES_REGENERATED', outcome: 'SUCCESS', userId: user.id }, viewer, actor);
    notifyFactorChange(this.deps.notifier, this.deps.logger, user, 'RECOVERY_CODES_REGENERATED');
    return codes;
  }

  /** False when no second factor was on (nothing to do). */
  async disable(viewer: Viewer, password: string, actor: Actor): Promise<boolean> {
    const user = await this.user(viewer);
    if (user.passwordHash === null) {
      // Created by an OpenID provider: there is no password to prove. Password reset sets a first one.
      throw new BadUserInputError([{ field: 'password', message: 'this account has no password (it signs in through a provider): set one with password reset' }]);
    }
    await this.deps.limits.beginLogin(user.email, actor.ip);
    const matches = codePoints(password) <= PASSWORD_MAX && (await this.deps.hasher.verify(user.passwordHash, password));
    if (!matches) {
      this.event({ type: 'MFA_DISABLED', outcome: 'FAILURE', userId: user.id, reason: 'wrong password' }, viewer, actor);
      throw new BadUserInputError([{ field: 'password', message: 'is incorrect' }]);
    }
    await this.deps.limits.loginSucceeded(user.email, actor.ip);
    if (!(await this.deps.repository.removeTotp(user.id))) return false;
    await this.changed(user, viewer, actor, 'MFA_DISABLED', 'TOTP_DISABLED');
    return true;
  }

  /** ADMIN: removes the user's TOTP factor and recovery codes and revokes every session of theirs. */
  async reset(userId: string, actor: Actor): Promise<UserRecord> {
    const user = await this.deps.users.findById(userId);
    if (!user) throw new BadUserInputError([{ field: 'id', message: 'no such user' }]);
    const removed = await this.deps.repository.removeTotp(user.id);
    const revoked = await this.deps.sessions.revokeAll(user.id);
    const reason = `${removed ? 'TOTP removed' : 'no TOTP was on'}; ${revoked} sessions revoked`;
    this.record({ type: 'MFA_RESET', outcome: 'SUCCESS', userId: user.id, reason }, actor);
    if (removed) notifyFactorChange(this.deps.notifier, this.deps.logger, user, 'TOTP_RESET_BY_ADMIN');
    return user;
  }

  private async changed(user: UserRecord, viewer: Viewer, actor: Actor, type: 'MFA_ENABLED' | 'MFA_DISABLED', change: FactorChange): Promise<void> {
    const revoked = await this.deps.sessions.revokeAll(user.id, { except: viewer.sessionId });
    this.event({ type, outcome: 'SUCCESS', userId: user.id, reason: `${revoked} other sessions revoked` }, viewer, actor);
    notifyFactorChange(this.deps.notifier, this.deps.logger, user, change);
  }

  private async user(viewer: Viewer): Promise<UserRecord> {
    const user = await this.deps.users.findById(viewer.userId);
    if (!user?.active) throw new UnauthenticatedError();
    return user;
  }

  private event(event: AuthEventInput, viewer: Viewer, actor: Actor): void {
    this.record({ ...event, sessionId: viewer.sessionId }, actor);
  }

  private record(event: AuthEventInput, actor: Actor): void {
    (this.deps.audit ?? noAudit).record({ ...event, actorId: actor.userId, clientId: actor.clientId, ip: actor.ip, userAgent: actor.userAgent });
  }
}

// Login with a second factor (SPEC §11): a right password for an account with TOTP answers MFA_REQUIRED
// with an mfaToken (challenge); verifyMfa trades that token and a TOTP or recovery code for a session.
import { noAudit, type AuditLog, type AuthEventInput } from '../audit/audit-event';
import type { AuthResult, ClientInfo, SecondFactorCheck } from '../auth/auth.service';
import type { RateLimits } from '../auth/rate-limit';
import { InvalidTokenError, type Clock } from '../auth/tokens';
import { MfaRequiredError, RateLimitedError, UnauthenticatedError } from '../errors';
import type { UserRecord, UserRepository } from '../users/user';
import type { CodeVerifier, SecondFactorMethod } from './code-verifier';
import type { MfaAttemptStore } from './mfa-attempt.store';
import type { MfaTokenService } from './mfa-token';
import type { MfaRepository } from './mfa.repository';

/** Wrong codes one mfaToken survives (SPEC §11); the account's login limit (§8) counts them too. */
export const MFA_TOKEN_MAX_FAILURES = 5;

export interface MfaLoginDeps {
  users: UserRepository;
  repository: MfaRepository;
  verifier: CodeVerifier;
  tokens: MfaTokenService;
  attempts: MfaAttemptStore;
  limits: Pick<RateLimits, 'beginLogin' | 'loginSucceeded'>;
  /** AuthService.signIn: the session, once the second factor is proven. */
  signIn: (user: UserRecord, client: ClientInfo, method: string) => Promise<AuthResult>;
  clock: Clock;
  audit?: AuditLog;
}

const INVALID_TOKEN = 'Invalid or expired mfaToken: log in again';

export class MfaLoginService implements SecondFactorCheck {
  constructor(private readonly deps: MfaLoginDeps) {}

  async challenge(user: UserRecord, client: ClientInfo): Promise<MfaRequiredError | null> {
    const factor = await this.deps.repository.findTotp(user.id);
    if (!factor?.confirmedAt) return null;
    const methods: SecondFactorMethod[] = ['TOTP'];
    if ((await this.deps.repository.unusedRecoveryCodes(user.id)) > 0) methods.push('RECOVERY_CODE');
    this.event({ type: 'MFA_REQUIRED', outcome: 'SUCCESS', userId: user.id, reason: 'password right, second factor asked' }, client);
    return new MfaRequiredError(this.deps.tokens.sign(user.id).token, methods);
  }

  async verify(mfaToken: string, code: string, client: ClientInfo): Promise<AuthResult> {
    const { users, verifier, attempts, limits, clock } = this.deps;
    let claims;
    try {
      claims = this.deps.tokens.verify(mfaToken);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      this.event({ type: 'MFA_FAILED', outcome: 'FAILURE', reason: `invalid mfaToken: ${error.message}`.slice(0, 200) }, client);
      throw new UnauthenticatedError(INVALID_TOKEN);
    }
    const user = await users.findById(claims.sub);
    if (!user) throw new UnauthenticatedError(INVALID_TOKEN);
    const failed = (reason: string) => this.event({ type: 'MFA_FAILED', outcome: 'FAILURE', userId: user.id, reason }, client);
    if (!(await attempts.isLive(claims.jti, MFA_TOKEN_MAX_FAILURES))) {
      failed('mfaToken already used or out of attempts');
      throw new UnauthenticatedError(INVALID_TOKEN);
    }
    // Counted before the code is checked, like a password (SPEC §8): concurrent guesses cannot outrun it.
    await limits.beginLogin(user.email, client.ip).catch((error: unknown) => {
      if (error instanceof RateLimitedError) failed('rate limited');
      throw error;
    });
    const ttl = claims.exp - clock();
    const check = await verifier.check(user.id, code, { allowRecoveryCode: true });
    if (!check.ok) {
      const left = await attempts.recordFailure(claims.jti, MFA_TOKEN_MAX_FAILURES, ttl);
      failed(`${check.reason} (${left} attempts left on this mfaToken)`);
      throw new UnauthenticatedError(left > 0 ? 'Invalid code' : 'Invalid code; this mfaToken is spent: log in again');
    }
    if (!(await attempts.consume(claims.jti, MFA_TOKEN_MAX_FAILURES, ttl))) {
      failed('mfaToken used concurrently');
      throw new UnauthenticatedError(INVALID_TOKEN);
    }
    await limits.loginSucceeded(user.email, client.ip);
    const left = check.method === 'RECOVERY_CODE' ? await this.deps.repository.unusedRecoveryCodes(user.id) : null;
    this.event({ type: 'MFA_VERIFIED', outcome: 'SUCCESS', userId: user.id, reason: left === null ? 'TOTP' : `recovery code (${left} left)` }, client);
    return this.deps.signIn(user, client, check.method === 'TOTP' ? 'password + TOTP' : 'password + recovery code');
  }

  private event(event: AuthEventInput, client: ClientInfo): void {
    (this.deps.audit ?? noAudit).record({ ...event, ip: client.ip, userAgent: client.userAgent });
  }
}

// Counts logins and session revocations from the audit events the services already record: one
// place that knows every outcome, so the services need no second set of calls.
import type { AuditLog, AuthEventInput } from '../audit/audit-event';
import type { LoginOutcome, Metrics, RevocationReason } from './metrics';

export class MeteredAuditLog implements AuditLog {
  constructor(
    private readonly inner: AuditLog,
    private readonly metrics: Metrics,
  ) {}

  record(event: AuthEventInput): void {
    this.count(event);
    this.inner.record(event);
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  private count(event: AuthEventInput): void {
    if (event.type === 'LOGIN_SUCCEEDED') this.metrics.login('success');
    else if (event.type === 'LOGIN_FAILED') this.metrics.login(loginOutcome(event.reason));
    const reason = revocationReason(event);
    if (reason) this.metrics.sessionRevoked(reason);
  }
}

/** AuthService.signIn prefixes its refusals with the way in ("passkey: account disabled"). */
function loginOutcome(reason: string | null | undefined): LoginOutcome {
  if (reason === 'rate limited') return 'rate_limited';
  if (reason?.endsWith('account disabled')) return 'disabled';
  if (reason?.endsWith('email not verified')) return 'email_not_verified';
  return 'invalid_credentials';
}

function revocationReason(event: AuthEventInput): RevocationReason | undefined {
  if (event.outcome !== 'SUCCESS' && event.type !== 'REFRESH_REUSE_DETECTED') return undefined;
  switch (event.type) {
    case 'LOGOUT':
      return event.reason === 'all sessions' ? 'logout_all' : 'logout';
    case 'SESSION_REVOKED':
      return 'user_revoked';
    case 'REFRESH_REUSE_DETECTED':
      return 'reuse_detected';
    case 'PASSWORD_CHANGED':
      return 'password_changed';
    case 'PASSWORD_RESET':
      return 'password_reset';
    case 'MFA_ENABLED':
    case 'MFA_DISABLED':
    case 'MFA_RESET':
      return 'mfa_changed';
    case 'USER_DISABLED':
      return 'user_disabled';
    default:
      return undefined;
  }
}

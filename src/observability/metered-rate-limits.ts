// Counts the requests an abuse limit refused, by limit, around any RateLimits.
import type { RateLimits } from '../auth/rate-limit';
import { RateLimitedError } from '../errors';
import type { Metrics, RateLimitName } from './metrics';

export function meteredRateLimits(inner: RateLimits, metrics: Metrics): RateLimits {
  const counted =
    <A extends unknown[]>(limit: RateLimitName, check: (...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      try {
        await check(...args);
      } catch (error) {
        if (error instanceof RateLimitedError) metrics.rateLimited(limit);
        throw error;
      }
    };
  return {
    beginLogin: counted('login', (email: string, ip: string) => inner.beginLogin(email, ip)),
    loginSucceeded: (email, ip) => inner.loginSucceeded(email, ip),
    beginRegistration: counted('register', (ip: string) => inner.beginRegistration(ip)),
    registered: (email) => inner.registered(email),
    beginRefresh: counted('refresh', (ip: string) => inner.beginRefresh(ip)),
    refreshFailed: (ip) => inner.refreshFailed(ip),
    beginPasswordlessSignIn: counted('login', (ip: string) => inner.beginPasswordlessSignIn(ip)),
    passwordlessSignInSucceeded: (ip) => inner.passwordlessSignInSucceeded(ip),
    beginPasswordResetRequest: counted('password_reset', (email: string, ip: string) => inner.beginPasswordResetRequest(email, ip)),
    beginAccountMail: counted('account_mail', (userId: string) => inner.beginAccountMail(userId)),
    beginTokenAttempt: counted('link_token', (ip: string) => inner.beginTokenAttempt(ip)),
    tokenAccepted: (ip) => inner.tokenAccepted(ip),
    accountRecovered: (email) => inner.accountRecovered(email),
  };
}

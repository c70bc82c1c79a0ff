// Abuse limits (SPEC §8): failed logins per account and per IP, registrations and failed refreshes per IP;
// and (SPEC §10) password-reset requests per email and IP, mails per account, link-token attempts per IP.
// Counting is rate-limiter-flexible's: atomic Lua in Redis (shared by every instance), or in process
// for the embedded development mode. There is no insurance limiter: when Redis fails, the limit does
// not silently go away, the request fails closed with SERVICE_UNAVAILABLE.
import { createHmac, type KeyObject } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config/config';
import { deriveSubKey, type TokenKeys } from './keys';
import { RateLimitedError } from '../errors';
import { redisFailure, type RedisClient } from '../infra/redis';

export interface RateLimits {
  /**
   * Counts a login attempt as a failure for the account (normalised email) and the IP before the
   * password is checked; throws RateLimitedError when either is over its limit.
   */
  beginLogin(email: string, ip: string): Promise<void>;
  /** The password was right: the account's failures and lock-outs are forgotten, the IP gets its point back. */
  loginSucceeded(email: string, ip: string): Promise<void>;
  /** Counts a registration attempt from this IP; throws RateLimitedError over the limit. */
  beginRegistration(ip: string): Promise<void>;
  /** A new account starts with no login failures, whatever was tried against its email before. */
  registered(email: string): Promise<void>;
  /**
   * Throws RateLimitedError when this IP has used up its failed refreshes; counts nothing, so any number
   * of successful refreshes (an office or a carrier's NAT) never reaches the limit.
   */
  beginRefresh(ip: string): Promise<void>;
  /** A refresh from this IP was refused (bad signature, unknown or revoked session, reuse): counts against it. */
  refreshFailed(ip: string): Promise<void>;
  /**
   * Counts a sign-in with no password to guess per account — through an OpenID provider (a browser flow
   * started, an ID token presented) or with a passkey — against the per-IP login limit; throws
   * RateLimitedError over it.
   */
  beginPasswordlessSignIn(ip: string): Promise<void>;
  /** That sign-in succeeded: the IP gets its point back, as after a right password. */
  passwordlessSignInSucceeded(ip: string): Promise<void>;
  /** Counts a password-reset request for this normalised email (known or not) and this IP (SPEC §10). */
  beginPasswordResetRequest(email: string, ip: string): Promise<void>;
  /** Counts a mail an account asks for (verification resend, email change); throws RateLimitedError over the limit. */
  beginAccountMail(userId: string): Promise<void>;
  /** Counts a link-token attempt from this IP before the token is looked up; throws RateLimitedError over the limit. */
  beginTokenAttempt(ip: string): Promise<void>;
  /** The token was good: the IP gets its point back, so only failed attempts add up. */
  tokenAccepted(ip: string): Promise<void>;
  /** A password reset proved the owner: the account's login failures and lock-outs are forgotten. */
  accountRecovered(email: string): Promise<void>;
}

/** Where the counters live: Redis (production) or this process (embedded development mode). */
export type LimiterStore = { kind: 'redis'; redis: RedisClient; keyPrefix: string } | { kind: 'memory' };

/** How long the per-account lock-out history is remembered: the back-off restarts after a quiet day. */
export const LOCKOUT_MEMORY_SECONDS = 24 * 60 * 60;

interface LimiterOptions {
  name: string;
  points: number;
  seconds: number;
}

/** The HKDF label of the account-key secret: changing it forgets every account's failures once. */
const ACCOUNT_KEY_LABEL = 'portcullis rate-limit account keys v1';

/** `keys`: the account keys are an HMAC keyed with a sub-key of the refresh signing key (see accountKey). */
export function createRateLimits(
  settings: Config['rateLimits'],
  store: LimiterStore,
  keys: TokenKeys,
  logger?: Pick<Logger, 'warn'>,
): RateLimits {
  const limiter = ({ name, points, seconds }: LimiterOptions): RateLimiterAbstract =>
    store.kind === 'redis'
      ? new RateLimiterRedis({
          storeClient: store.redis,
          keyPrefix: `${store.keyPrefix}rl:${name}`,
          points,
          duration: seconds,
          rejectIfRedisNotReady: true,
        })
      : new RateLimiterMemory({ keyPrefix: name, points, duration: seconds });
  const { loginPerAccount, loginPerIp, registerPerIp, refreshPerIp, passwordResetPerEmail, passwordResetPerIp, mailPerAccount, tokenPerIp } = settings;
  return new FlexibleRateLimits({
    account: limiter({ name: 'login-account', points: loginPerAccount.points, seconds: loginPerAccount.window.seconds }),
    lockouts: limiter({ name: 'login-lockouts', points: Number.MAX_SAFE_INTEGER, seconds: LOCKOUT_MEMORY_SECONDS }),
    loginIp: limiter({ name: 'login-ip', points: loginPerIp.points, seconds: loginPerIp.window.seconds }),
    registerIp: limiter({ name: 'register-ip', points: registerPerIp.points, seconds: registerPerIp.window.seconds }),
    refreshIp: limiter({ name: 'refresh-ip', points: refreshPerIp.points, seconds: refreshPerIp.window.seconds }),
    resetEmail: limiter({ name: 'reset-email', points: passwordResetPerEmail.points, seconds: passwordResetPerEmail.window.seconds }),
    resetIp: limiter({ name: 'reset-ip', points: passwordResetPerIp.points, seconds: passwordResetPerIp.window.seconds }),
    accountMail: limiter({ name: 'account-mail', points: mailPerAccount.points, seconds: mailPerAccount.window.seconds }),
    tokenIp: limiter({ name: 'token-ip', points: tokenPerIp.points, seconds: tokenPerIp.window.seconds }),
    firstLockoutSeconds: loginPerAccount.window.seconds,
    maxLockoutSeconds: settings.loginMaxLockout.seconds,
    accountSecret: deriveSubKey(keys.refresh, ACCOUNT_KEY_LABEL),
    redis: store.kind === 'redis' ? store.redis : undefined,
    logger,
  });
}

interface Limiters {
  account: RateLimiterAbstract;
  lockouts: RateLimiterAbstract;
  loginIp: RateLimiterAbstract;
  registerIp: RateLimiterAbstract;
  refreshIp: RateLimiterAbstract;
  resetEmail: RateLimiterAbstract;
  resetIp: RateLimiterAbstract;
  accountMail: RateLimiterAbstract;
  tokenIp: RateLimiterAbstract;
  firstLockoutSeconds: number;
  maxLockoutSeconds: number;
  accountSecret: KeyObject;
  logger: Pick<Logger, 'warn'> | undefined;
  /** The limiters' Redis, for the refresh check's single read (beginRefresh). */
  redis: RedisClient | undefined;
}

class FlexibleRateLimits implements RateLimits {
  constructor(private readonly limiters: Limiters) {}

  async beginLogin(email: string, ip: string): Promise<void> {
    const { account, loginIp } = this.limiters;
    await consume(loginIp, ipKey(ip));
    const key = this.accountKey(email);
    try {
      await account.consume(key);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw redisFailure(error);
      // Exactly one attempt sees the count cross the limit (the increment is atomic): it starts the lock-out.
      if (error.consumedPoints === account.points + 1) throw new RateLimitedError(await this.lockOut(key));
      throw new RateLimitedError(secondsUntil(error));
    }
  }

  async loginSucceeded(email: string, ip: string): Promise<void> {
    const key = this.accountKey(email);
    await guard(() =>
      Promise.all([this.limiters.account.delete(key), this.limiters.lockouts.delete(key), this.limiters.loginIp.reward(ipKey(ip), 1)]),
    );
  }

  async beginRegistration(ip: string): Promise<void> {
    await consume(this.limiters.registerIp, ipKey(ip));
  }

  async registered(email: string): Promise<void> {
    const key = this.accountKey(email);
    await guard(() => Promise.all([this.limiters.account.delete(key), this.limiters.lockouts.delete(key)]));
  }

  async beginPasswordResetRequest(email: string, ip: string): Promise<void> {
    await consume(this.limiters.resetIp, ipKey(ip));
    await consume(this.limiters.resetEmail, this.accountKey(email));
  }

  async beginAccountMail(userId: string): Promise<void> {
    await consume(this.limiters.accountMail, `{${userId}}`);
  }

  async beginTokenAttempt(ip: string): Promise<void> {
    await consume(this.limiters.tokenIp, ipKey(ip));
  }

  async tokenAccepted(ip: string): Promise<void> {
    await guard(() => this.limiters.tokenIp.reward(ipKey(ip), 1));
  }

  async accountRecovered(email: string): Promise<void> {
    await this.registered(email);
  }

  async beginRefresh(ip: string): Promise<void> {
    const { refreshIp, redis } = this.limiters;
    const key = ipKey(ip);
    // On every refresh: one plain GET of the limiter's own counter (auto-pipelined with whatever else this
    // tick sends), not its MULTI/GET/PTTL/EXEC. Only a refused IP pays for the full read, for Retry-After.
    const failures = redis ? Number(await guard(() => redis.get(refreshIp.getKey(key)))) : ((await guard(() => refreshIp.get(key)))?.consumedPoints ?? 0);
    if (failures < refreshIp.points) return;
    const counted = await guard(() => refreshIp.get(key));
    if (counted && counted.consumedPoints >= refreshIp.points) throw new RateLimitedError(secondsUntil(counted));
  }

  async refreshFailed(ip: string): Promise<void> {
    await guard(() => this.limiters.refreshIp.penalty(ipKey(ip), 1));
  }

  async beginPasswordlessSignIn(ip: string): Promise<void> {
    await consume(this.limiters.loginIp, ipKey(ip));
  }

  async passwordlessSignInSucceeded(ip: string): Promise<void> {
    await guard(() => this.limiters.loginIp.reward(ipKey(ip), 1));
  }

  /**
   * An account's key: an HMAC-SHA256 of the normalised email under a server secret, in a hash tag. So
   * Redis holds no email, nor a plain digest that a dictionary of emails would reverse; no brace in a
   * key comes from user input; and the account's counter and lock-out history share one Cluster slot.
   */
  private accountKey(email: string): string {
    return `{${createHmac('sha256', this.limiters.accountSecret).update(email).digest('base64url')}}`;
  }

  /** The n-th lock-out within a day lasts window × 2^(n−1), never more than the cap; returns its seconds. */
  private async lockOut(key: string): Promise<number> {
    const { account, lockouts, firstLockoutSeconds, maxLockoutSeconds } = this.limiters;
    const count = (await guard(() => lockouts.consume(key))).consumedPoints;
    const seconds = Math.min(firstLockoutSeconds * 2 ** Math.min(count - 1, 30), maxLockoutSeconds);
    await guard(() => account.block(key, seconds));
    // Once per lock-out, not per refused attempt: an attack must not flood the log. The key is a digest, not the email.
    this.limiters.logger?.warn({ account: key, lockout: count, seconds }, 'login lock-out: too many failed logins for one account');
    return seconds;
  }
}

async function consume(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (error) {
    if (error instanceof RateLimiterRes) throw new RateLimitedError(secondsUntil(error));
    throw redisFailure(error);
  }
}

async function guard<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw redisFailure(error);
  }
}

/** Whole seconds until the next attempt is allowed, never 0 while refused. */
const secondsUntil = (result: RateLimiterRes): number => Math.max(1, Math.ceil(result.msBeforeNext / 1000));

/** One count per IPv4 address, and per IPv6 /64: a single host is routinely given a whole /64 to rotate through. */
export function clientKey(ip: string): string {
  const address = ip.trim().toLowerCase().replace(/%.*$/, ''); // no zone index
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address.replace(/[{}]/g, '');
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

const ipKey = (ip: string): string => `{${clientKey(ip)}}`;

// Register, login, refresh and logout (SPEC §4–§7); SessionAuthenticator checks each request's token.
// Depends only on interfaces: UserRepository, SessionStore, PasswordHasher, TokenService, RateLimits.
import type { Logger } from 'pino';
import { noAudit, type AuditLog, type AuthEventInput } from '../audit/audit-event';
import type { Config } from '../config/config';
import { EmailNotVerifiedError, ForbiddenError, INVALID_CREDENTIALS, RateLimitedError, UnauthenticatedError } from '../errors';
import type { RefreshOutcome } from '../observability/metrics';
import { digestTokenId, MAX_USER_AGENT_LENGTH, type SessionStore } from '../sessions/session-store';
import type { UserRecord, UserRepository } from '../users/user';
import { codePoints, isRegistrableEmail, normalizeEmail, parseRegisterInput, PASSWORD_MAX } from './auth.validation';
import type { PasswordHasher } from './password';
import type { RateLimits } from './rate-limit';
import { InvalidTokenError, newTokenId, type Clock, type IssuedToken, type TokenService } from './tokens';
import type { Viewer } from './viewer';

export interface ClientInfo {
  ip: string;
  userAgent: string;
}

export interface AuthResult {
  user: UserRecord;
  accessToken: IssuedToken;
  refreshToken: IssuedToken;
  sessionId: string;
  /** Access-token lifetime in seconds. */
  expiresIn: number;
}

/**
 * Asked after a right password (SPEC §11): for an account with a second factor, the error to answer
 * instead of a session (MFA_REQUIRED with an mfaToken); null when the password is enough.
 */
export interface SecondFactorCheck {
  challenge(user: UserRecord, client: ClientInfo): Promise<Error | null>;
}

export interface AuthServiceDeps {
  users: UserRepository;
  sessions: SessionStore;
  hasher: PasswordHasher;
  limits: RateLimits;
  tokens: TokenService;
  clock: Clock;
  logger: Logger;
  /** Where register, login, refresh, reuse and logout are recorded (fire-and-forget). */
  audit?: AuditLog;
  /** Unset: a password is always enough. */
  secondFactor?: SecondFactorCheck;
  /** Told how each refresh ended (the metrics' refreshes_total). */
  onRefresh?: (outcome: RefreshOutcome) => void;
  settings: Pick<Config['jwt'], 'refreshTokenTtl'> & Pick<Config['sessions'], 'maxAge' | 'refreshReuseGrace'>;
  /** Email verification (SPEC §10, src/recovery): the mail on register and the gate of EMAIL_VERIFICATION=required. */
  verification?: EmailVerificationHooks;
}

export interface EmailVerificationHooks {
  /** Queues the new account's verification mail (when verification is on); throwing undoes the registration. */
  registered(user: UserRecord, client: ClientInfo): Promise<void>;
  /** Throws EmailNotVerifiedError when verification is required and the user has not verified. */
  checkLogin(user: UserRecord): void;
  /** Register starts no session until the email is verified. */
  readonly required: boolean;
}

export class AuthService {
  constructor(private readonly deps: AuthServiceDeps) {}

  async register(input: { email: string; password: string; name: string }, client: ClientInfo): Promise<AuthResult> {
    const data = parseRegisterInput(input); // invalid input is refused before it counts or costs a hash
    await this.deps.limits.beginRegistration(client.ip);
    const passwordHash = await this.deps.hasher.hash(data.password);
    const user = await this.deps.users.create({ email: data.email, name: data.name, passwordHash });
    const { verification } = this.deps;
    let result: AuthResult | undefined;
    try {
      await this.deps.limits.registered(user.email);
      if (!verification?.required) result = await this.startSession(user, client);
      // Last: once the verification mail is queued, nothing undoes the account (no mail for a deleted user).
      await verification?.registered(user, client);
    } catch (error) {
      // No session, no account: the client saw a failure, so a retry must be able to register again.
      if (result) await this.deps.sessions.revoke(result.sessionId, user.id).catch(() => undefined);
      await this.deps.users.delete(user.id).catch((cleanup: unknown) => {
        this.deps.logger.error({ err: cleanup, userId: user.id }, 'could not remove a user whose first session failed');
      });
      throw error;
    }
    // EMAIL_VERIFICATION=required: the account exists and its link is on the way, but no session yet.
    if (!result) {
      this.event({ type: 'REGISTER', outcome: 'SUCCESS', userId: user.id, reason: 'no session until the email is verified' }, client);
      throw new EmailNotVerifiedError();
    }
    this.event({ type: 'REGISTER', outcome: 'SUCCESS', userId: user.id, sessionId: result.sessionId }, client);
    return result;
  }

  async login(input: { email: string; password: string }, client: ClientInfo): Promise<AuthResult> {
    const { users, hasher, limits } = this.deps;
    const failed = (reason: string, userId: string | null = null) =>
      this.event({ type: 'LOGIN_FAILED', outcome: 'FAILURE', userId, reason }, client);
    // Over-long passwords are refused before any hashing: they cannot have been registered.
    if (codePoints(input.password) > PASSWORD_MAX) {
      failed('password too long');
      throw new UnauthenticatedError(INVALID_CREDENTIALS);
    }
    // An email register would refuse matches no account: refused before the database, the dummy hash
    // and the counters (it costs nothing, so there is nothing to limit; NUL would even fail the query).
    if (!isRegistrableEmail(input.email)) {
      failed('malformed email');
      throw new UnauthenticatedError(INVALID_CREDENTIALS);
    }
    const email = normalizeEmail(input.email);
    // Counted as a failure before the password check, so concurrent guesses cannot outrun the limit.
    await limits.beginLogin(email, client.ip).catch((error: unknown) => {
      if (error instanceof RateLimitedError) failed('rate limited');
      throw error;
    });
    const user = await users.findByEmail(email);
    if (!user) {
      await hasher.verifyDummy(input.password); // unknown emails cost the same time as wrong passwords
      failed('unknown email');
      throw new UnauthenticatedError(INVALID_CREDENTIALS);
    }
    if (user.passwordHash === null) {
      // Created by an OpenID provider: no password can match, but it costs the time a wrong one would.
      await hasher.verifyDummy(input.password);
      failed('no password (signs in through a provider)', user.id);
      throw new UnauthenticatedError(INVALID_CREDENTIALS);
    }
    if (!(await hasher.verify(user.passwordHash, input.password))) {
      failed('wrong password', user.id);
      throw new UnauthenticatedError(INVALID_CREDENTIALS);
    }
    if (user.active) {
      // EMAIL_VERIFICATION=required answers before a second factor is asked, so no code is spent on a
      // sign-in that cannot end in a session (signIn checks again, for the other ways in).
      try {
        this.deps.verification?.checkLogin(user);
      } catch (error) {
        await limits.loginSucceeded(email, client.ip); // the password was right
        failed('email not verified', user.id);
        throw error;
      }
      // With a second factor the attempt stays counted against the account until verifyMfa succeeds: a
      // known password must not reset the limit that stops guessing codes.
      const secondFactor = await this.deps.secondFactor?.challenge(user, client);
      if (secondFactor) throw secondFactor;
    }
    await limits.loginSucceeded(email, client.ip);
    if (user.active && hasher.needsRehash(user.passwordHash)) await this.upgradeHash(user, input.password);
    return this.signIn(user, client);
  }

  /**
   * Ends a login whose proof is complete (a password, a password and a second factor, a passkey, or an
   * OpenID provider's word, SPEC §12): a new session, audited as LOGIN_SUCCEEDED with `method` as its
   * reason. A disabled account is FORBIDDEN, before a session is made and after (settle re-reads the user);
   * with EMAIL_VERIFICATION=required an unverified one is FORBIDDEN (EMAIL_NOT_VERIFIED), whatever the proof.
   */
  async signIn(user: UserRecord, client: ClientInfo, method: string | null = null): Promise<AuthResult> {
    const refused = (reason: string) =>
      this.event({ type: 'LOGIN_FAILED', outcome: 'FAILURE', userId: user.id, reason: method ? `${method}: ${reason}` : reason }, client);
    if (user.active) {
      try {
        this.deps.verification?.checkLogin(user);
      } catch (error) {
        refused('email not verified');
        throw error;
      }
    }
    const result = user.active ? await this.settle(user, await this.startSession(user, client)) : null;
    if (!result) {
      refused('account disabled');
      throw new ForbiddenError('This account is disabled');
    }
    this.event({ type: 'LOGIN_SUCCEEDED', outcome: 'SUCCESS', userId: user.id, sessionId: result.sessionId, reason: method }, client);
    return result;
  }

  async refresh(refreshToken: string | undefined, client: ClientInfo): Promise<AuthResult> {
    const told = this.deps.onRefresh ?? (() => undefined);
    if (!refreshToken) throw new UnauthenticatedError('No refresh token');
    await this.deps.limits.beginRefresh(client.ip).catch((error: unknown) => {
      if (error instanceof RateLimitedError) told('rate_limited');
      throw error;
    });
    try {
      const result = await this.rotate(refreshToken, client);
      told('rotated');
      return result;
    } catch (error) {
      // Only refused refreshes count against the IP (SPEC §8): a NAT full of users refreshing is not an attack.
      if (error instanceof UnauthenticatedError) {
        told(error instanceof RefreshReusedError ? 'reused' : 'invalid');
        await this.deps.limits.refreshFailed(client.ip);
      }
      throw error;
    }
  }

  private async rotate(refreshToken: string, client: ClientInfo): Promise<AuthResult> {
    const { tokens, sessions, users, clock, settings, logger } = this.deps;
    const claims = this.verifyRefreshToken(refreshToken);
    // The user is read before the rotation: if PostgreSQL fails here, the presented token stays current,
    // so the client can retry it after the outage instead of having it count as reuse.
    const user = await users.findById(claims.sub);
    if (!user?.active) {
      await sessions.revoke(claims.sid, claims.sub);
      throw new UnauthenticatedError('Invalid or expired refresh token');
    }
    const nextJti = newTokenId();
    const now = clock();
    const rotation = await sessions.rotate({
      sessionId: claims.sid,
      userId: claims.sub,
      presentedJtiHash: digestTokenId(claims.jti),
      nextJtiHash: digestTokenId(nextJti),
      now,
      refreshTtlSeconds: settings.refreshTokenTtl.seconds,
      graceSeconds: settings.refreshReuseGrace.seconds,
      ...bounded(client),
    });
    if (rotation.outcome === 'reused') {
      logger.warn({ userId: claims.sub, sessionId: claims.sid }, 'refresh token reuse detected: session revoked');
      this.event({ type: 'REFRESH_REUSE_DETECTED', outcome: 'FAILURE', userId: claims.sub, sessionId: claims.sid }, client);
      throw new RefreshReusedError();
    }
    if (rotation.outcome !== 'rotated') throw new UnauthenticatedError('Invalid or expired refresh token');
    this.event({ type: 'REFRESH', outcome: 'SUCCESS', userId: user.id, sessionId: claims.sid }, client);
    return {
      user,
      accessToken: tokens.signAccess({ sub: user.id, sid: claims.sid, role: user.role }),
      refreshToken: tokens.signRefresh({ sub: user.id, sid: claims.sid }, now + rotation.ttlSeconds, nextJti),
      sessionId: claims.sid,
      expiresIn: tokens.accessTokenTtl.seconds,
    };
  }

  /**
   * Revokes the viewer's session (or all of the user's), else the one a valid refresh token names. Only the
   * session's current refresh token may end all sessions: an already rotated one ends just its own session,
   * as reuse detection would, so an old cookie cannot sign the user out everywhere.
   */
  async logout(options: { viewer: Viewer | null; refreshToken: string | undefined; allSessions: boolean; client?: ClientInfo }): Promise<void> {
    const { sessions } = this.deps;
    let target = options.viewer ? { userId: options.viewer.userId, sessionId: options.viewer.sessionId, current: true } : undefined;
    if (!target && options.refreshToken) {
      let claims;
      try {
        claims = this.deps.tokens.verifyRefresh(options.refreshToken);
      } catch {
        return; // nothing valid to revoke: logout still succeeds
      }
      const current = await sessions.isCurrentRefresh(claims.sid, claims.sub, digestTokenId(claims.jti));
      target = { userId: claims.sub, sessionId: claims.sid, current };
    }
    if (!target) return;
    const allSessions = options.allSessions && target.current;
    if (allSessions) await sessions.revokeAll(target.userId);
    else await sessions.revoke(target.sessionId, target.userId);
    const reason = allSessions ? 'all sessions' : target.current ? null : 'rotated refresh token: this session only';
    this.event({ type: 'LOGOUT', outcome: 'SUCCESS', userId: target.userId, sessionId: target.sessionId, reason }, options.client);
  }

  /** A user by id, for federation's _entities (a disabled user is still referenced by other data). */
  findUser(id: string): Promise<UserRecord | null> {
    return this.deps.users.findById(id);
  }

  /** The viewer's own record; a user deleted or disabled since the token was issued is no viewer. */
  async currentUser(viewer: Viewer): Promise<UserRecord> {
    const user = await this.deps.users.findById(viewer.userId);
    if (!user?.active) throw new UnauthenticatedError();
    return user;
  }

  private async startSession(user: UserRecord, client: ClientInfo): Promise<AuthResult> {
    const { tokens, sessions, clock, settings } = this.deps;
    const now = clock();
    const sessionId = sessions.newId();
    const ttlSeconds = Math.min(settings.refreshTokenTtl.seconds, settings.maxAge.seconds);
    const refreshJti = newTokenId();
    await sessions.create(
      {
        id: sessionId,
        userId: user.id,
        refreshJtiHash: digestTokenId(refreshJti),
        createdAt: now,
        lastUsedAt: now,
        expiresAt: now + settings.maxAge.seconds,
        ...bounded(client),
      },
      ttlSeconds,
    );
    return {
      user,
      accessToken: tokens.signAccess({ sub: user.id, sid: sessionId, role: user.role }),
      refreshToken: tokens.signRefresh({ sub: user.id, sid: sessionId }, now + ttlSeconds, refreshJti),
      sessionId,
      expiresIn: tokens.accessTokenTtl.seconds,
    };
  }

  /**
   * A disable or role change that landed while this login ran revoked the user's sessions before this
   * one existed: read the user again, then drop the session (null: disabled) or re-sign for the new role.
   */
  private async settle(user: UserRecord, result: AuthResult): Promise<AuthResult | null> {
    const current = await this.deps.users.findById(user.id);
    if (!current?.active) {
      await this.deps.sessions.revoke(result.sessionId, user.id);
      return null;
    }
    if (current.role === user.role) return result;
    return { ...result, user: current, accessToken: this.deps.tokens.signAccess({ sub: user.id, sid: result.sessionId, role: current.role }) };
  }

  private verifyRefreshToken(token: string) {
    try {
      return this.deps.tokens.verifyRefresh(token);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      this.deps.logger.debug({ reason: error.message }, 'refresh token refused');
      throw new UnauthenticatedError('Invalid or expired refresh token');
    }
  }

  private event(event: AuthEventInput, client: ClientInfo | undefined): void {
    (this.deps.audit ?? noAudit).record({ ...event, ip: client?.ip, userAgent: client?.userAgent });
  }

  /** Upgrading a hash is best effort: a failure must not fail a login whose password was right. */
  private async upgradeHash(user: UserRecord, password: string): Promise<void> {
    try {
      await this.deps.users.updatePasswordHash(user.id, await this.deps.hasher.hash(password));
    } catch (error) {
      this.deps.logger.warn({ err: error, userId: user.id }, 'could not upgrade password hash');
    }
  }
}

function bounded(client: ClientInfo): ClientInfo {
  return { ip: client.ip, userAgent: client.userAgent.slice(0, MAX_USER_AGENT_LENGTH) };
}

/** A rotated refresh token presented again (reuse detection): its session is revoked. */
class RefreshReusedError extends UnauthenticatedError {
  constructor() {
    super('Refresh token was already used; the session has been revoked');
  }
}

// Passkeys (SPEC §11, WebAuthn through @simplewebauthn/server): registration by a signed-in user, and
// sign-in with nothing else (discoverable credentials; no second factor asked). Challenges are single-use
// and live 5 minutes; the signature counter must rise on every use.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Logger } from 'pino';
import { noAudit, type Actor, type AuditLog, type AuthEventInput } from '../audit/audit-event';
import type { AuthResult, ClientInfo } from '../auth/auth.service';
import type { RateLimits } from '../auth/rate-limit';
import type { Viewer } from '../auth/viewer';
import type { Config } from '../config/config';
import { AppError, BadUserInputError, ForbiddenError, RateLimitedError, UnauthenticatedError } from '../errors';
import { notifyFactorChange, type FactorNotifier } from '../mfa/factor-notice';
import { LAST_SIGN_IN_METHOD_MESSAGE } from '../users/sign-in-methods';
import type { UserRecord, UserRepository } from '../users/user';
import type { ChallengePurpose, ChallengeStore } from './challenge.store';
import type { SignInChallenges } from './sign-in-challenge';
import type { PasskeyRecord, PasskeyRepository } from './passkey';
import { parseCeremonyResponse, passkeyName, userHandleOf } from './webauthn-input';

export const CHALLENGE_TTL_SECONDS = 5 * 60;
/** How far apart instances' clocks may be: a claimed sign-in challenge stays claimed this much longer. */
const CLOCK_SKEW_SECONDS = 60;

export interface PasskeyServiceDeps {
  users: UserRepository;
  passkeys: PasskeyRepository;
  challenges: ChallengeStore;
  /** Sign-in challenges: signed, not stored, until one comes back. */
  signInChallenges: SignInChallenges;
  limits: Pick<RateLimits, 'beginPasswordlessSignIn' | 'passwordlessSignInSucceeded'>;
  /** AuthService.signIn: the session, once the passkey is proven. */
  signIn: (user: UserRecord, client: ClientInfo, method: string) => Promise<AuthResult>;
  settings: Config['mfa']['webauthn'];
  logger: Pick<Logger, 'warn' | 'debug'>;
  audit?: AuditLog;
  notifier?: FactorNotifier;
}

export class PasskeyService {
  constructor(private readonly deps: PasskeyServiceDeps) {}

  list(viewer: Viewer): Promise<PasskeyRecord[]> {
    return this.deps.passkeys.listByUser(viewer.userId);
  }

  async registrationOptions(viewer: Viewer): Promise<unknown> {
    const user = await this.user(viewer);
    const existing = await this.deps.passkeys.listByUser(user.id);
    const options = await generateRegistrationOptions({
      rpName: this.deps.settings.rpName,
      rpID: this.deps.settings.rpId,
      userName: user.email,
      userID: userHandleOf(user.id),
      userDisplayName: user.name,
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      attestationType: 'none',
      excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
      // Discoverable, so the passkey alone signs in; user verification, since it replaces the password too.
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    await this.deps.challenges.put(options.challenge, { kind: 'registration', userId: user.id }, CHALLENGE_TTL_SECONDS);
    return options;
  }

  async register(viewer: Viewer, input: unknown, name: string | null, actor: Actor): Promise<PasskeyRecord> {
    const user = await this.user(viewer);
    const response = parseCeremonyResponse<RegistrationResponseJSON>(input);
    const label = passkeyName(name);
    const failed = (reason: string) => this.record({ type: 'PASSKEY_REGISTERED', outcome: 'FAILURE', userId: user.id, sessionId: viewer.sessionId, reason }, actor);
    let verification;
    try {
      verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: (challenge) => this.take(challenge, { kind: 'registration', userId: user.id }),
        expectedOrigin: [...this.deps.settings.origins],
        expectedRPID: this.deps.settings.rpId,
        requireUserVerification: true,
      });
    } catch (error) {
      if (error instanceof AppError) throw error;
      failed(describe(error));
      throw new BadUserInputError([{ field: 'response', message: 'could not be verified: ask for new options and try again' }]);
    }
    if (!verification.verified) {
      failed('not verified');
      throw new BadUserInputError([{ field: 'response', message: 'could not be verified: ask for new options and try again' }]);
    }
    const { credential, credentialDeviceType, credentialBackedUp } = verification.registrationInfo;
    const passkey = await this.deps.passkeys.create({
      userId: user.id,
      credentialId: credential.id,
      publicKey: credential.publicKey,
      counter: credential.counter,
      transports: credential.transports ?? [],
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
      name: label,
    });
    this.record({ type: 'PASSKEY_REGISTERED', outcome: 'SUCCESS', userId: user.id, sessionId: viewer.sessionId, reason: label }, actor);
    notifyFactorChange(this.deps.notifier, this.deps.logger, user, 'PASSKEY_ADDED');
    return passkey;
  }

  async delete(viewer: Viewer, id: string, actor: Actor): Promise<boolean> {
    const outcome = await this.deps.passkeys.delete(viewer.userId, id);
    if (outcome === 'missing') return false;
    const event = { type: 'PASSKEY_DELETED', userId: viewer.userId, sessionId: viewer.sessionId } as const;
    if (outcome === 'last-way-in') {
      this.record({ ...event, outcome: 'FAILURE', reason: 'last way to sign in' }, actor);
      throw new ForbiddenError(LAST_SIGN_IN_METHOD_MESSAGE);
    }
    this.record({ ...event, outcome: 'SUCCESS', reason: id }, actor);
    const user = await this.deps.users.findById(viewer.userId);
    if (user) notifyFactorChange(this.deps.notifier, this.deps.logger, user, 'PASSKEY_REMOVED');
    return true;
  }

  /**
   * The same options whatever `email` says: every passkey registered here is discoverable (residentKey
   * 'required'), so the authenticator finds its own, and listing an account's credentials would tell
   * anyone which emails have an account with passkeys. `email` stays in the signature (SPEC §11).
   * Anyone may ask, as often as they like: the challenge is signed, and nothing is stored.
   */
  loginOptions(_email: string | null): Promise<unknown> {
    return generateAuthenticationOptions({
      rpID: this.deps.settings.rpId,
      allowCredentials: [],
      userVerification: 'required',
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      challenge: this.deps.signInChallenges.issue(CHALLENGE_TTL_SECONDS),
    });
  }

  async login(input: unknown, client: ClientInfo): Promise<AuthResult> {
    const failed = (reason: string, userId: string | null = null) =>
      this.event({ type: 'PASSKEY_LOGIN_FAILED', outcome: 'FAILURE', userId, reason: reason.slice(0, 200) }, client);
    await this.deps.limits.beginPasswordlessSignIn(client.ip).catch((error: unknown) => {
      if (error instanceof RateLimitedError) failed('rate limited');
      throw error;
    });
    const response = parseCeremonyResponse<AuthenticationResponseJSON>(input);
    const passkey = await this.deps.passkeys.findByCredentialId(response.id);
    const user = passkey ? await this.deps.users.findById(passkey.userId) : null;
    if (!passkey || !user) {
      failed('unknown passkey');
      throw new UnauthenticatedError('This passkey is not registered');
    }
    const handle = response.response.userHandle;
    if (handle && handle !== Buffer.from(userHandleOf(user.id)).toString('base64url')) {
      failed('user handle does not match the passkey', user.id);
      throw new UnauthenticatedError('Passkey sign-in failed');
    }
    let newCounter: number;
    try {
      const verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: (challenge) => this.claimSignIn(challenge),
        expectedOrigin: [...this.deps.settings.origins],
        expectedRPID: this.deps.settings.rpId,
        credential: { id: passkey.credentialId, publicKey: passkey.publicKey, counter: passkey.counter, transports: passkey.transports },
        requireUserVerification: true,
      });
      if (!verification.verified) throw new Error('not verified');
      newCounter = verification.authenticationInfo.newCounter;
    } catch (error) {
      if (error instanceof AppError) throw error;
      failed(describe(error), user.id);
      throw new UnauthenticatedError('Passkey sign-in failed');
    }
    // Conditional write: of two uses with one counter value (a clone, or a replay racing), one wins.
    if (!(await this.deps.passkeys.recordUse(passkey.id, newCounter))) {
      failed('signature counter did not rise: cloned authenticator?', user.id);
      throw new UnauthenticatedError('Passkey sign-in failed');
    }
    await this.deps.limits.passwordlessSignInSucceeded(client.ip);
    return this.deps.signIn(user, client, 'passkey');
  }

  /** The sign-in challenge callback: one we signed, not expired, and used once (claimed whatever the outcome). */
  private async claimSignIn(challenge: string): Promise<boolean> {
    const secondsLeft = this.deps.signInChallenges.secondsLeft(challenge);
    // Claimed a minute past its expiry here, so an instance whose clock runs behind cannot take it again.
    return secondsLeft !== null && (await this.deps.challenges.claim(challenge, secondsLeft + CLOCK_SKEW_SECONDS));
  }

  /** The registration challenge callback: takes it (single use) whatever the outcome, true only for the expected purpose. */
  private async take(challenge: string, expected: ChallengePurpose): Promise<boolean> {
    const purpose = await this.deps.challenges.take(challenge);
    return purpose !== null && JSON.stringify(purpose) === JSON.stringify(expected);
  }

  private async user(viewer: Viewer): Promise<UserRecord> {
    const user = await this.deps.users.findById(viewer.userId);
    if (!user?.active) throw new UnauthenticatedError();
    return user;
  }

  private event(event: AuthEventInput, client: ClientInfo): void {
    (this.deps.audit ?? noAudit).record({ ...event, ip: client.ip, userAgent: client.userAgent });
  }

  private record(event: AuthEventInput, actor: Actor): void {
    (this.deps.audit ?? noAudit).record({ ...event, actorId: actor.userId, ip: actor.ip, userAgent: actor.userAgent });
  }
}

/** The library's reason, for the audit log and debug logs only (never to the client). */
const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 200);

// Wires the second factor and passkeys (SPEC §11) from the app's parts: createApp calls this once.
import type { RedisClient } from '../infra/redis';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-event';
import type { AuthResult, ClientInfo } from '../auth/auth.service';
import type { PasswordHasher } from '../auth/password';
import type { RateLimits } from '../auth/rate-limit';
import { deriveSubKey } from '../auth/keys';
import type { Clock } from '../auth/tokens';
import type { Config, TokenKeys } from '../config/config';
import type { DataCipher } from '../crypto/data-cipher';
import type { PrismaClient } from '../generated/prisma/client';
import { MemoryChallengeStore, RedisChallengeStore } from '../passkeys/challenge.store';
import { PrismaPasskeyRepository } from '../passkeys/passkey.repository';
import { PasskeyService } from '../passkeys/passkey.service';
import { SIGN_IN_CHALLENGE_KEY_LABEL, SignInChallenges } from '../passkeys/sign-in-challenge';
import type { SessionStore } from '../sessions/session-store';
import type { UserRecord, UserRepository } from '../users/user';
import { CodeVerifier } from './code-verifier';
import type { FactorNotifier } from './factor-notice';
import { MemoryMfaAttemptStore, RedisMfaAttemptStore } from './mfa-attempt.store';
import { MfaLoginService } from './mfa-login.service';
import { MfaTokenService } from './mfa-token';
import { PrismaMfaRepository } from './mfa.repository';
import { TotpEnrollmentService } from './totp-enrollment.service';

export interface MfaParts {
  config: Config;
  prisma: PrismaClient;
  /** Absent in dev mode: challenges and mfaToken state then live in process. */
  redis: RedisClient | undefined;
  keys: TokenKeys;
  /** Secrets at rest (TOTP secrets) under DATA_ENCRYPTION_KEY. */
  dataCipher: DataCipher;
  users: UserRepository;
  hasher: PasswordHasher;
  sessions: SessionStore;
  limits: RateLimits;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  signIn: (user: UserRecord, client: ClientInfo, method: string) => Promise<AuthResult>;
  /** The notice mail on every factor change, once the mail component exists (issue 11). */
  notifier?: FactorNotifier;
}

export function createMfa(parts: MfaParts) {
  const { config, redis, clock, logger, audit, notifier } = parts;
  const prefix = config.redisKeyPrefix;
  const cipher = parts.dataCipher;
  const repository = new PrismaMfaRepository(parts.prisma);
  const verifier = new CodeVerifier(repository, cipher, clock);
  const common = { users: parts.users, limits: parts.limits, clock, audit };
  return {
    enrollment: new TotpEnrollmentService({
      ...common,
      repository,
      verifier,
      cipher,
      hasher: parts.hasher,
      sessions: parts.sessions,
      settings: config.mfa,
      logger,
      notifier,
    }),
    login: new MfaLoginService({
      ...common,
      repository,
      verifier,
      tokens: new MfaTokenService(parts.keys, config.jwt, clock),
      attempts: redis ? new RedisMfaAttemptStore(redis, prefix) : new MemoryMfaAttemptStore(),
      signIn: parts.signIn,
    }),
    passkeys: new PasskeyService({
      users: parts.users,
      passkeys: new PrismaPasskeyRepository(parts.prisma, config.oidc.providers.map((provider) => provider.id)),
      challenges: redis ? new RedisChallengeStore(redis, prefix) : new MemoryChallengeStore(),
      signInChallenges: new SignInChallenges(deriveSubKey(parts.keys.refresh, SIGN_IN_CHALLENGE_KEY_LABEL), clock),
      limits: parts.limits,
      signIn: parts.signIn,
      settings: config.mfa.webauthn,
      logger,
      audit,
      notifier,
    }),
  };
}

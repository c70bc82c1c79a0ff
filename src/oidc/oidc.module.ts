// Wires sign-in with OpenID providers (SPEC §12) from the app's parts, so createApp needs a few lines.
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-event';
import type { AuthService } from '../auth/auth.service';
import type { RateLimits } from '../auth/rate-limit';
import type { SessionAuthenticator } from '../auth/session-authenticator';
import type { Config } from '../config/config';
import type { PrismaClient } from '../generated/prisma/client';
import type { UserRepository } from '../users/user';
import { PrismaLinkedAccountRepository } from './linked-account.repository';
import { OidcAccountService } from './oidc-accounts.service';
import { MemoryOidcFlowStore, RedisOidcFlowStore } from './oidc-flow.store';
import { OidcProviderRegistry } from './oidc-provider.registry';
import { OidcSignInService } from './oidc-sign-in.service';
import { oidcRouter } from './oidc.router';
import type { RedisClient } from '../infra/redis';

export interface OidcModuleDeps {
  config: Config;
  prisma: PrismaClient;
  /** Flows live in Redis when there is one (every instance sees them), else in this process (dev mode). */
  redis: RedisClient | undefined;
  users: UserRepository;
  auth: AuthService;
  sessionUsers: SessionAuthenticator;
  limits: RateLimits;
  audit: AuditLog;
  logger: Logger;
  /** Tests only: the network to the providers (to play one that tampers with their answers). */
  fetch?: typeof fetch;
  /** Tests only: the first discovery retry delay. */
  firstRetryMs?: number;
}

export function createOidc(deps: OidcModuleDeps) {
  const { config, logger } = deps;
  const registry = new OidcProviderRegistry(config.oidc.providers, { logger, fetch: deps.fetch, firstRetryMs: deps.firstRetryMs });
  void registry.start(); // in the background: an unreachable provider must not hold up start-up
  const accounts = new OidcAccountService({
    users: deps.users,
    accounts: new PrismaLinkedAccountRepository(deps.prisma),
    providerIds: config.oidc.providers.map((provider) => provider.id),
    audit: deps.audit,
  });
  const signIn = new OidcSignInService({
    registry,
    flows: deps.redis ? new RedisOidcFlowStore(deps.redis, config.redisKeyPrefix) : new MemoryOidcFlowStore(),
    accounts,
    auth: deps.auth,
    limits: deps.limits,
    audit: deps.audit,
    logger,
    publicUrl: config.oidc.callbackBase,
  });
  const router = oidcRouter({ registry, signIn, users: deps.sessionUsers, config, logger });
  return { registry, accounts, signIn, router, close: () => registry.close() };
}

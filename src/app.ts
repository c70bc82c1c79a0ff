import 'reflect-metadata';
// createApp(config, deps): wires the services once and serves them over HTTP. Tests start exactly this.
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import express from 'express';
import type { Logger } from 'pino';
import { AdminService } from './admin/admin.service';
import { PrismaUserAdminRepository } from './admin/user-admin.repository';
import { PrismaAuditLog } from './audit/audit-log.repository';
import { AuditService } from './audit/audit.service';
import { AuthService } from './auth/auth.service';
import { Argon2PasswordHasher, type PasswordHasher } from './auth/password';
import { PasswordChangeService } from './auth/password-change.service';
import { SessionAuthenticator } from './auth/session-authenticator';
import type { RateLimits } from './auth/rate-limit';
import { systemClock, TokenService, type Clock } from './auth/tokens';
import { wellKnownRouter } from './auth/well-known.router';
import { ClientAdminService } from './clients/client-admin.service';
import { ClientAuthenticator } from './clients/client-authenticator';
import { ClientCredentialsService } from './clients/client-credentials.service';
import { MemoryClientStateStore, RedisClientStateStore } from './clients/client-state.store';
import { oauthTokenRouter } from './clients/oauth-token.route';
import { PrismaServiceClientRepository } from './clients/service-client.repository';
import type { Config, TokenKeys } from './config/config';
import type { Context } from './context';
import { createCoprocessorListener, type CoprocessorListener } from './coprocessor/coprocessor.server';
import { createErrorFormatter } from './errors';
import { limitEntities } from './graphql/entities-limit';
import { bodyErrorHandler, graphqlRoute } from './graphql/graphql-route';
import { inlineTraceWhenAsked } from './graphql/inline-trace.plugin';
import { operationLimits } from './graphql/operation-limits';
import { responsePolicyPlugin } from './graphql/response-policy.plugin';
import { createMfa } from './mfa/create-mfa';
import { MailFactorNotifier } from './mfa/factor-notice';
import { DataCipher } from './crypto/data-cipher';
import type { Database } from './infra/database';
import { loadOrCreateDevDataKeys } from './infra/dev-keys';
import { healthRouter } from './infra/health';
import { listenOn } from './infra/listener';
import type { RedisClient } from './infra/redis';
import { graphqlMetricsPlugin } from './observability/graphql-metrics.plugin';
import { MeteredAuditLog } from './observability/metered-audit-log';
import { meteredRateLimits } from './observability/metered-rate-limits';
import { Metrics } from './observability/metrics';
import { requestLog } from './observability/request-log';
import { currentTraceId } from './observability/trace-context';
import { requestLogPlugin } from './observability/request-log.plugin';
import { createMetricsListener, type MetricsListener } from './observability/metrics.server';
import { createOidc } from './oidc/oidc.module';
import { createMail, type MailModule } from './mail/mail.module';
import { createRecovery } from './recovery/recovery.module';
import type { RecoveryStore } from './recovery/recovery.store';
import { buildAppSchema } from './schema';
import type { SessionStore } from './sessions/session-store';
import { SessionService } from './sessions/session.service';
import { CachedUserRepository } from './users/cached-user.repository';
import { InvalidatingUserAdminRepository } from './users/invalidating-user-admin.repository';
import type { UserChangeFeed } from './users/user-change-feed';
import { PrismaUserRepository } from './users/user.repository';

export interface AppDeps {
  database: Database;
  sessions: SessionStore;
  rateLimits: RateLimits;
  /** The Redis behind the session store, for machine-client state; absent in dev mode (memory). */
  redis?: RedisClient;
  keys: TokenKeys;
  logger: Logger;
  clock?: Clock;
  hasher?: PasswordHasher;
  /**
   * How this instance hears of user changes made by any instance (Redis pub/sub, or in process for a
   * single instance). Without one, users are not cached: every read goes to PostgreSQL.
   */
  userChanges?: UserChangeFeed;
  /** Tests only: the network to OpenID providers, and the first discovery retry delay (SPEC §12). */
  oidc?: { fetch?: typeof fetch; firstRetryMs?: number };
  /** Wraps the account-recovery store (tests: a flawed one proves the timing measurement can fail). */
  wrapRecoveryStore?: (store: RecoveryStore) => RecoveryStore;
}

export interface App {
  readonly server: http.Server;
  /** Starts listening; port 0 picks a free port. Resolves to the GraphQL URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** The coprocessor's own listener, when COPROCESSOR_PORT is set; the caller starts it. */
  readonly coprocessor: CoprocessorListener | undefined;
  /** Mail delivery: its worker runs from createApp until close. */
  readonly mail: MailModule;
  /** The metrics listener, when METRICS_PORT is set; the caller starts it. */
  readonly metrics: MetricsListener | undefined;
  /** Stops accepting requests (all listeners) and waits for in-flight ones and mail; the stores are the caller's to close. */
  close(): Promise<void>;
}

export async function createApp(config: Config, deps: AppDeps): Promise<App> {
  const clock = deps.clock ?? systemClock;
  const hasher = deps.hasher ?? new Argon2PasswordHasher(config.argon2);
  await hasher.verifyDummy('warm-up'); // the dummy hash exists before the first unknown-email login
  const tokens = new TokenService(deps.keys, config.jwt, clock);
  const stored = new PrismaUserRepository(deps.database.prisma);
  // Every service gets the same users layer, so every user write goes through its invalidation.
  const cache = deps.userChanges && config.userCache.ttl.seconds > 0 ? new CachedUserRepository(stored, deps.userChanges, config.userCache) : undefined;
  const users = cache ?? stored;
  const userAdmin = new PrismaUserAdminRepository(deps.database.prisma);
  // Metrics only when they are served: otherwise nothing is counted (SPEC §13: off when unset).
  const metrics =
    config.metrics.port === undefined
      ? undefined
      : new Metrics({
          dependencies: { postgres: () => deps.database.ping(), redis: () => deps.sessions.ping() },
          mailQueueDepth: () => mail.queue.depth(), // read at scrape time, once createApp has returned
        });
  const storedAudit = new PrismaAuditLog(deps.database.prisma, deps.database.pool, deps.logger);
  const audit = metrics ? new MeteredAuditLog(storedAudit, metrics) : storedAudit;
  const rateLimits = metrics ? meteredRateLimits(deps.rateLimits, metrics) : deps.rateLimits;
  // Mail and account recovery (SPEC §10): a durable queue in PostgreSQL, a worker in every instance.
  // Secrets at rest (TOTP secrets, queued mail) under DATA_ENCRYPTION_KEY; outside production (loadConfig
  // refuses it unset there) a key made once under DATA_DIR.
  const dataCipher = new DataCipher(config.dataEncryption.keys ?? loadOrCreateDevDataKeys(config.dataDir));
  const mail = createMail(config.mail, { database: deps.database, dataCipher, refreshKey: deps.keys.refresh, logger: deps.logger, audit });
  const recovery = createRecovery(deps.database.pool, mail.queue, {
    users,
    invalidate: async (userId) => cache?.invalidate(userId),
    sessions: deps.sessions,
    hasher,
    limits: rateLimits,
    audit,
    logger: deps.logger,
    settings: config.recovery,
    links: config.mail.links,
    wrapStore: deps.wrapRecoveryStore,
  });
  // SPEC §11. Its sign-ins end in AuthService.signIn; a change of factors is told to the user by mail.
  const mfa = createMfa({
    config, prisma: deps.database.prisma, redis: deps.redis, keys: deps.keys, dataCipher, users, hasher, sessions: deps.sessions,
    limits: rateLimits, clock, logger: deps.logger, audit, signIn: (user, client, method) => auth.signIn(user, client, method),
    notifier: new MailFactorNotifier(deps.database.pool, mail.queue),
  });
  const auth = new AuthService({
    users,
    audit,
    sessions: deps.sessions,
    hasher,
    limits: rateLimits,
    secondFactor: mfa.login,
    tokens,
    clock,
    logger: deps.logger,
    onRefresh: metrics && ((outcome) => metrics.refresh(outcome)),
    settings: { refreshTokenTtl: config.jwt.refreshTokenTtl, ...config.sessions },
    verification: recovery.verification,
  });

  const clientRepository = new PrismaServiceClientRepository(deps.database.prisma);
  const clientState = deps.redis ? new RedisClientStateStore(deps.redis, config.redisKeyPrefix) : new MemoryClientStateStore();
  const clientCredentials = new ClientCredentialsService({
    clients: clientRepository,
    state: clientState,
    tokens,
    limits: rateLimits, // like logins (SPEC §8), the client id standing for the account
    tokenTtl: config.clients.tokenTtl,
    clock,
    audit,
  });

  // Users and machine clients are told apart the same way for GraphQL requests and the coprocessor.
  const callers = {
    users: new SessionAuthenticator({ tokens, sessions: deps.sessions }),
    clients: new ClientAuthenticator({ tokens, state: clientState }),
  };
  const oidc = createOidc({
    config, prisma: deps.database.prisma, redis: deps.redis, users, auth, sessionUsers: callers.users,
    limits: rateLimits, audit, logger: deps.logger, ...deps.oidc,
  });
  const expressApp = express();
  const server = http.createServer(expressApp);
  const limits = operationLimits(config.graphql);
  const schema = await buildAppSchema({
    auth,
    sessions: new SessionService({ sessions: deps.sessions, settings: config.jwt, audit }),
    admin: new AdminService({ users: cache ? new InvalidatingUserAdminRepository(userAdmin, cache) : userAdmin, sessions: deps.sessions, audit }),
    passwords: new PasswordChangeService({ users, sessions: deps.sessions, hasher, limits: rateLimits, audit, notices: recovery.reset }),
    audit: new AuditService(storedAudit),
    clientAdmin: new ClientAdminService({ clients: clientRepository, state: clientState, tokenTtl: config.clients.tokenTtl, audit }),
    clientCredentials,
    oidc,
    mfa,
    recovery,
    refreshTokenInBody: config.sessions.refreshTokenInBody,
    authDirectives: config.federation.authDirectives,
  });
  const apollo = new ApolloServer<Context>({
    schema: limitEntities(schema, config.graphql.maxEntities),
    introspection: config.graphql.introspection,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    csrfPrevention: true,
    stopOnTerminationSignals: false, // main.ts owns shutdown: drain HTTP, then close the stores
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: config.env === 'development',
    logger: deps.logger,
    formatError: createErrorFormatter(deps.logger, config.env === 'development'),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      inlineTraceWhenAsked(),
      responsePolicyPlugin({ hideSuggestions: limits.hideSuggestions }),
      requestLogPlugin(),
      ...(metrics ? [graphqlMetricsPlugin(metrics)] : []),
      ...limits.plugins,
      config.env === 'production'
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ includeCookies: true }),
    ],
  });
  await apollo.start();
  await mail.start();

  expressApp.disable('x-powered-by');
  expressApp.set('trust proxy', config.http.trustProxy);
  expressApp.use(requestLog(deps.logger, currentTraceId));
  expressApp.use(
    '/graphql',
    graphqlRoute(apollo, config.http, { ...callers, cookieSettings: config.cookies, trustsProxy: config.http.trustProxy !== false, logger: deps.logger }),
  );
  // After /graphql, so a GraphQL request never walks their layers: the oauth router ends in an error
  // handler that matches every path, and a router whose last layer passes a request on hands it to the
  // next one through setImmediate, a turn of the event loop per GraphQL request.
  expressApp.use(healthRouter({ postgres: () => deps.database.ping(), redis: () => deps.sessions.ping() }));
  expressApp.use(wellKnownRouter({ keys: deps.keys, issuer: config.jwt.issuer, publicUrl: config.http.publicUrl }));
  expressApp.use(oauthTokenRouter(clientCredentials, deps.logger));
  expressApp.use(oidc.router);
  expressApp.use(bodyErrorHandler(deps.logger));
  // Not on the public port: there any client could use it as an unthrottled token oracle.
  const coprocessor =
    config.coprocessor.port === undefined
      ? undefined
      : createCoprocessorListener({ port: config.coprocessor.port, host: config.coprocessor.host }, { ...callers, bodyLimitBytes: config.http.bodyLimitBytes, logger: deps.logger });

  const metricsListener = metrics && config.metrics.port !== undefined ? createMetricsListener({ port: config.metrics.port, host: config.metrics.host }, metrics) : undefined;

  return {
    server,
    coprocessor,
    mail,
    metrics: metricsListener,
    listen: async (port = config.port, host = config.host) => `${await listenOn(server, port, host)}/graphql`,
    close: async () => {
      oidc.close();
      await Promise.all([apollo.stop(), coprocessor?.close(), metricsListener?.close()]);
      await mail.stop();
      await audit.flush(); // the stores close after this: let the last audit writes land
      if (!deps.hasher) await hasher.close?.(); // the hashing process this app started
    },
  };
}

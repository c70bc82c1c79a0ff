// loadConfig(env): the one place configuration is read. Returns a frozen, fully defaulted Config
// or throws ConfigError listing every problem, one line each.
import { availableParallelism } from 'node:os';
import type { Algorithm, TokenKeys } from '../auth/keys';
import { roleScopeProblems, type RoleScopes } from '../auth/scopes';
import type { Duration } from './duration';
import { envSchema, type Env, type RawEnv } from './env.schema';
import type { DataKeys } from '../crypto/data-cipher';
import type { SessionLayout } from '../sessions/session-layout';
import { loadMfaSettings } from './load-mfa-settings';
import { keyVariables, loadKeys } from './load-keys';
import { loadOidcProviders, type OidcProviderConfig } from './oidc-providers';
import { mailConfig, type MailConfig, type RecoveryConfig } from './mail.config';

export type { TokenKeys } from '../auth/keys';
export type { OidcProviderConfig } from './oidc-providers';

export interface RateLimit {
  readonly points: number;
  readonly window: Duration;
}

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly port: number;
  readonly host: string;
  /** Apollo Router's coprocessor, on a listener of its own; port unset: not served. */
  readonly coprocessor: { readonly port: number | undefined; readonly host: string };
  /** Prometheus metrics, on a listener of their own; port unset: not served. */
  readonly metrics: { readonly port: number | undefined; readonly host: string };
  /** OpenTelemetry traces over OTLP/HTTP (started by observability/tracing.ts); endpoint unset: off. */
  readonly tracing: { readonly endpoint: string | undefined; readonly protocol: 'http/protobuf' | 'http/json'; readonly serviceName: string };
  readonly logLevel: Env['LOG_LEVEL'];
  /** Where the embedded database and dev keys live. */
  readonly dataDir: string;
  /** Unset: embedded PGlite (development only). */
  readonly databaseUrl: string | undefined;
  /** One Redis node; unset (and no cluster): in-process session store (development only). */
  readonly redisUrl: string | undefined;
  /** Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES), used instead of REDIS_URL. */
  readonly redisClusterNodes: ReadonlyArray<{ readonly host: string; readonly port: number }> | undefined;
  readonly redisKeyPrefix: string;
  readonly jwt: {
    readonly algorithm: Algorithm;
    /** Unset: dev keys are created under dataDir (development only). */
    readonly keys: TokenKeys | undefined;
    readonly issuer: string;
    readonly audience: string;
    readonly accessTokenTtl: Duration;
    readonly refreshTokenTtl: Duration;
    /** The scopes a user's access token carries, by role (ROLE_SCOPES). */
    readonly roleScopes: RoleScopes;
  };
  /** Machine clients (OAuth 2.0 client credentials). */
  readonly clients: { readonly tokenTtl: Duration };
  readonly sessions: {
    readonly maxAge: Duration;
    readonly refreshReuseGrace: Duration;
    readonly refreshTokenInBody: boolean;
    /** SESSION_LAYOUT: the Redis layout new sessions are written in (both are read). */
    readonly layout: SessionLayout;
  };
  readonly cookies: {
    readonly secure: boolean;
    readonly sameSite: 'lax' | 'strict' | 'none';
    readonly domain: string | undefined;
  };
  readonly http: {
    readonly corsOrigins: readonly string[];
    readonly bodyLimitBytes: number;
    readonly trustProxy: false | number | readonly string[];
    /** The service's external base URL (PUBLIC_URL), the base of jwks_uri in discovery; unset: no discovery document. */
    readonly publicUrl: string | undefined;
  };
  /** The web app's URL (APP_URL, default http://localhost:3000): sign-in redirects may go to its origin. */
  readonly appUrl: string;
  /** Sign-in with OpenID providers (SPEC §12); none configured: the feature is off. */
  readonly oidc: {
    readonly providers: readonly OidcProviderConfig[];
    /** Callbacks are <base>/auth/oidc/<id>/callback: PUBLIC_URL (required in production), else http://localhost:<PORT>. */
    readonly callbackBase: string;
  };
  readonly graphql: {
    /** Also shows "did you mean" suggestions in error messages when true. */
    readonly introspection: boolean;
    readonly maxDepth: number;
    readonly maxAliases: number;
    readonly maxTokens: number;
    readonly maxCost: number;
    readonly maxDirectives: number;
    /** Most representations one federation `_entities` call may resolve. */
    readonly maxEntities: number;
  };
  readonly federation: {
    /** @authenticated / @requiresScopes in the subgraph SDL (FEDERATION_AUTH_DIRECTIVES); false for Apollo Gateway. */
    readonly authDirectives: boolean;
  };
  readonly argon2: {
    readonly memoryCost: number;
    readonly timeCost: number;
    readonly parallelism: number;
    /** Hashes and verifies running at once; the rest wait, so logins cannot take every core. */
    readonly concurrency: number;
    /** The OS priority (nice) of the threads that hash, in a process of their own: requests win the CPU over hashes. */
    readonly nice: number;
  };
  /** The per-instance cache of users read by id (0 s = off), invalidated on every instance by any user write. */
  readonly userCache: { readonly ttl: Duration; readonly maxEntries: number };
  readonly rateLimits: {
    readonly loginPerAccount: RateLimit;
    readonly loginPerIp: RateLimit;
    readonly registerPerIp: RateLimit;
    readonly refreshPerIp: RateLimit;
    /** Cap of the per-account lock-out, which doubles with each repeated lock-out. */
    readonly loginMaxLockout: Duration;
    readonly passwordResetPerEmail: RateLimit;
    readonly passwordResetPerIp: RateLimit;
    /** Verification resends and email-change requests: mails one account may cause. */
    readonly mailPerAccount: RateLimit;
    /** Failed link-token attempts (verifyEmail, resetPassword, confirmEmailChange) per IP. */
    readonly tokenPerIp: RateLimit;
  };
  /** Secrets at rest (issue 13); keys unset: a dev key under dataDir (development and tests only). */
  readonly dataEncryption: { readonly keys: DataKeys | undefined };
  /** The second factor and passkeys (SPEC §11). */
  readonly mfa: {
    readonly totpIssuer: string;
    readonly webauthn: { readonly rpId: string; readonly rpName: string; readonly origins: readonly string[] };
  };
  /** Mail delivery (SPEC §10). */
  readonly mail: MailConfig;
  /** Email verification, password reset and email change (SPEC §10). */
  readonly recovery: RecoveryConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Variables that were renamed: set under the old name they would be ignored in silence, so they are refused. */
const RENAMED: Readonly<Record<string, string>> = {
  // Not a count over a window like the RATE_LIMIT_* variables (SPEC §9), but a duration.
  RATE_LIMIT_LOGIN_MAX_LOCKOUT: 'LOGIN_MAX_LOCKOUT',
};

export function loadConfig(rawEnv: RawEnv = process.env): Config {
  const problems: string[] = [];
  const invalid = new Set<string>();
  let parsed = envSchema.safeParse(rawEnv);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      invalid.add(String(issue.path[0]));
      problems.push(`${issue.path.join('.')} ${issue.message}`);
    }
    // Parse again without the invalid variables, so the checks below still report every other problem.
    parsed = envSchema.safeParse({ ...rawEnv, ...Object.fromEntries([...invalid].map((name) => [name, undefined])) });
    if (!parsed.success) throw new ConfigError(problems);
  }
  const env = parsed.data;
  for (const [old, current] of Object.entries(RENAMED)) {
    if (rawEnv[old] !== undefined) problems.push(`${old} was renamed ${current}: set ${current} instead`);
  }
  /** Cross-variable checks run only on valid values: a default standing in for a bad one proves nothing. */
  const valid = (...names: string[]) => names.every((name) => !invalid.has(name));
  const keys = valid('JWT_ALGORITHM') ? loadKeys(env, rawEnv, problems) : undefined;
  const production = env.NODE_ENV === 'production';

  if (production) {
    if (!env.DATABASE_URL && valid('DATABASE_URL')) problems.push('DATABASE_URL is required in production (the embedded PostgreSQL is single-instance, for development)');
    if (!env.REDIS_URL && !env.REDIS_CLUSTER_NODES && valid('REDIS_URL', 'REDIS_CLUSTER_NODES')) {
      problems.push('REDIS_URL is required in production, or REDIS_CLUSTER_NODES for a Redis Cluster (the in-process session store is single-instance, for development)');
    }
    if (!keys && valid('JWT_ALGORITHM') && !problems.some((problem) => problem.startsWith('JWT_'))) {
      problems.push(`signing keys are required in production: set ${keyVariables(env.JWT_ALGORITHM)} (dev keys are for development)`);
    }
  }
  if (env.REDIS_URL && env.REDIS_CLUSTER_NODES) {
    problems.push('REDIS_URL and REDIS_CLUSTER_NODES are both set: set REDIS_URL for one Redis node, or REDIS_CLUSTER_NODES for a Redis Cluster, not both');
  }
  const mfa = loadMfaSettings(env, { production, valid }, problems);
  if (env.COPROCESSOR_PORT !== undefined && env.COPROCESSOR_PORT !== 0 && env.COPROCESSOR_PORT === env.PORT && valid('PORT')) {
    problems.push('COPROCESSOR_PORT must differ from PORT: the coprocessor needs a listener the public cannot reach');
  }
  if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && [env.PORT, env.COPROCESSOR_PORT].includes(env.METRICS_PORT) && valid('PORT', 'COPROCESSOR_PORT')) {
    problems.push('METRICS_PORT must differ from PORT and COPROCESSOR_PORT: metrics are served on a listener of their own');
  }
  if (env.METRICS_PORT === undefined && rawEnv.METRICS_HOST?.trim() && valid('METRICS_PORT')) {
    problems.push('METRICS_HOST is set but METRICS_PORT is not: set METRICS_PORT (like 9464) to serve metrics');
  }
  if (env.COPROCESSOR_PORT === undefined && rawEnv.COPROCESSOR_HOST?.trim() && valid('COPROCESSOR_PORT')) {
    problems.push('COPROCESSOR_HOST is set but COPROCESSOR_PORT is not: set COPROCESSOR_PORT (like 4001) to serve the coprocessor');
  }
  if (env.COOKIE_SAMESITE === 'none' && !env.COOKIE_SECURE && valid('COOKIE_SAMESITE', 'COOKIE_SECURE')) {
    problems.push('COOKIE_SAMESITE=none requires COOKIE_SECURE=true (browsers drop such cookies otherwise)');
  }
  if (env.REFRESH_REUSE_GRACE.seconds > 60) {
    problems.push('REFRESH_REUSE_GRACE must be at most 60s: it only covers browser tabs racing one refresh');
  }
  if (env.ACCESS_TOKEN_TTL.seconds > env.REFRESH_TOKEN_TTL.seconds && valid('ACCESS_TOKEN_TTL', 'REFRESH_TOKEN_TTL')) {
    problems.push('ACCESS_TOKEN_TTL must not be longer than REFRESH_TOKEN_TTL');
  }
  if (env.REFRESH_TOKEN_TTL.seconds > env.SESSION_MAX_AGE.seconds && valid('REFRESH_TOKEN_TTL', 'SESSION_MAX_AGE')) {
    problems.push('REFRESH_TOKEN_TTL must not be longer than SESSION_MAX_AGE');
  }
  if (valid('ROLE_SCOPES')) problems.push(...roleScopeProblems(env.ROLE_SCOPES));
  if (env.CLIENT_TOKEN_TTL.seconds > 86_400) {
    problems.push('CLIENT_TOKEN_TTL must be at most 1d: client tokens cannot be refreshed, only re-requested, and a shorter life limits a leaked one');
  }
  if (env.ARGON2_CONCURRENCY !== undefined && env.ARGON2_CONCURRENCY >= env.UV_THREADPOOL_SIZE && valid('ARGON2_CONCURRENCY', 'UV_THREADPOOL_SIZE')) {
    problems.push(
      `ARGON2_CONCURRENCY must be below UV_THREADPOOL_SIZE (${env.UV_THREADPOOL_SIZE}), or hashing takes every libuv thread: lower it or raise UV_THREADPOOL_SIZE`,
    );
  }
  // An invalid PUBLIC_URL is reported once, above: not again as a missing one.
  const oidcProviders = loadOidcProviders(rawEnv, problems, { production, publicUrl: valid('PUBLIC_URL') ? env.PUBLIC_URL : rawEnv.PUBLIC_URL });
  const { mail, recovery } = mailConfig(env, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  return deepFreeze({
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    coprocessor: { port: env.COPROCESSOR_PORT, host: env.COPROCESSOR_HOST },
    metrics: { port: env.METRICS_PORT, host: env.METRICS_HOST },
    tracing: { endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, protocol: env.OTEL_EXPORTER_OTLP_PROTOCOL, serviceName: env.OTEL_SERVICE_NAME },
    logLevel: env.LOG_LEVEL,
    dataDir: env.DATA_DIR,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    redisClusterNodes: env.REDIS_CLUSTER_NODES,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    jwt: {
      algorithm: env.JWT_ALGORITHM,
      keys,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      accessTokenTtl: env.ACCESS_TOKEN_TTL,
      refreshTokenTtl: env.REFRESH_TOKEN_TTL,
      roleScopes: env.ROLE_SCOPES,
    },
    clients: { tokenTtl: env.CLIENT_TOKEN_TTL },
    sessions: {
      maxAge: env.SESSION_MAX_AGE,
      refreshReuseGrace: env.REFRESH_REUSE_GRACE,
      refreshTokenInBody: env.REFRESH_TOKEN_IN_BODY,
      layout: env.SESSION_LAYOUT,
    },
    cookies: { secure: env.COOKIE_SECURE, sameSite: env.COOKIE_SAMESITE, domain: env.COOKIE_DOMAIN },
    http: { corsOrigins: env.CORS_ORIGINS, bodyLimitBytes: env.BODY_LIMIT, trustProxy: env.TRUST_PROXY, publicUrl: env.PUBLIC_URL },
    appUrl: env.APP_URL,
    oidc: { providers: oidcProviders, callbackBase: env.PUBLIC_URL ?? `http://localhost:${env.PORT}` },
    graphql: {
      introspection: env.GRAPHQL_INTROSPECTION ?? !production,
      maxDepth: env.GRAPHQL_MAX_DEPTH,
      maxAliases: env.GRAPHQL_MAX_ALIASES,
      maxTokens: env.GRAPHQL_MAX_TOKENS,
      maxCost: env.GRAPHQL_MAX_COST,
      maxDirectives: env.GRAPHQL_MAX_DIRECTIVES,
      maxEntities: env.GRAPHQL_MAX_ENTITIES,
    },
    federation: { authDirectives: env.FEDERATION_AUTH_DIRECTIVES },
    argon2: {
      memoryCost: env.ARGON2_MEMORY_COST,
      timeCost: env.ARGON2_TIME_COST,
      parallelism: env.ARGON2_PARALLELISM,
      // A quarter of the cores: a login storm leaves about three quarters of the machine to other requests.
      concurrency: env.ARGON2_CONCURRENCY ?? Math.max(1, Math.min(Math.floor(availableParallelism() / 4), env.UV_THREADPOOL_SIZE - 1)),
      nice: env.ARGON2_NICE,
    },
    userCache: { ttl: env.USER_CACHE_TTL, maxEntries: env.USER_CACHE_SIZE },
    rateLimits: {
      loginPerAccount: { points: env.RATE_LIMIT_LOGIN_PER_ACCOUNT, window: env.RATE_LIMIT_LOGIN_PER_ACCOUNT_WINDOW },
      loginPerIp: { points: env.RATE_LIMIT_LOGIN_PER_IP, window: env.RATE_LIMIT_LOGIN_PER_IP_WINDOW },
      registerPerIp: { points: env.RATE_LIMIT_REGISTER_PER_IP, window: env.RATE_LIMIT_REGISTER_PER_IP_WINDOW },
      refreshPerIp: { points: env.RATE_LIMIT_REFRESH_PER_IP, window: env.RATE_LIMIT_REFRESH_PER_IP_WINDOW },
      loginMaxLockout: env.LOGIN_MAX_LOCKOUT,
      passwordResetPerEmail: { points: env.RATE_LIMIT_PASSWORD_RESET_PER_EMAIL, window: env.RATE_LIMIT_PASSWORD_RESET_PER_EMAIL_WINDOW },
      passwordResetPerIp: { points: env.RATE_LIMIT_PASSWORD_RESET_PER_IP, window: env.RATE_LIMIT_PASSWORD_RESET_PER_IP_WINDOW },
      mailPerAccount: { points: env.RATE_LIMIT_MAIL_PER_ACCOUNT, window: env.RATE_LIMIT_MAIL_PER_ACCOUNT_WINDOW },
      tokenPerIp: { points: env.RATE_LIMIT_TOKEN_PER_IP, window: env.RATE_LIMIT_TOKEN_PER_IP_WINDOW },
    },
    ...mfa,
    mail,
    recovery,
  });
}

/** Freezes plain objects and arrays all the way down; class instances stay as they are (Duration freezes itself). */
function deepFreeze<T>(value: T): T {
  const plain = Array.isArray(value) || (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype);
  if (plain) {
    for (const child of Object.values(value as object)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

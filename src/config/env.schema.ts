// The environment variables (SPEC §9) as a zod schema: each one parsed, defaulted and documented here.
import bytes from 'bytes';
import proxyAddr from 'proxy-addr';
import { z } from 'zod';
import { ALGORITHMS } from '../auth/keys';
import { DEFAULT_ROLE_SCOPES, parseRoleScopes } from '../auth/scopes';
import { SESSION_LAYOUTS } from '../sessions/session-layout';
import { Duration } from './duration';

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));

const optionalBoolean = optionalText.transform((value, ctx) => {
  if (value === undefined) return undefined;
  const normalized = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
  if (['false', '0', 'no', 'off'].includes(normalized)) return false;
  ctx.addIssue({ code: 'custom', message: `must be true or false (got "${value}")` });
  return z.NEVER;
});

const boolean = (fallback: boolean) => optionalBoolean.transform((value) => value ?? fallback);

const oneOf = <const T extends readonly string[]>(values: T, fallback: T[number]) =>
  optionalText.transform((value, ctx): T[number] => {
    if (value === undefined) return fallback;
    const found = values.find((candidate) => candidate.toLowerCase() === value.trim().toLowerCase());
    if (found !== undefined) return found;
    ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')} (got "${value}")` });
    return z.NEVER;
  });

const duration = (fallback: string) =>
  optionalText.transform((value, ctx) => {
    const parsed = Duration.parse(value ?? fallback);
    if (parsed && parsed.seconds > 0) return parsed;
    ctx.addIssue({ code: 'custom', message: `must be whole seconds or a number with s, m, h or d, like 15m (got "${value}")` });
    return z.NEVER;
  });

const graceDuration = optionalText.transform((value, ctx) => {
  const parsed = Duration.parse(value ?? '0');
  if (parsed) return parsed;
  ctx.addIssue({ code: 'custom', message: `must be whole seconds or a number with s, m, h or d (got "${value}")` });
  return z.NEVER;
});

/** Like `duration`, but 0 is allowed (it turns the feature off). */
const durationOrZero = (fallback: string) =>
  optionalText.transform((value, ctx) => {
    const parsed = Duration.parse(value ?? fallback);
    if (parsed) return parsed;
    ctx.addIssue({ code: 'custom', message: `must be whole seconds or a number with s, m, h or d, like 10s, or 0 for off (got "${value}")` });
    return z.NEVER;
  });

/** Unset stays undefined (the feature is off); set, a whole number in range. */
const optionalInteger = (min: number, max: number) =>
  optionalText.transform((value, ctx) => {
    if (value === undefined) return undefined;
    const parsed = Number(value.trim());
    if (Number.isInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max} (got "${value}")` });
    return z.NEVER;
  });

const integer = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  optionalInteger(min, max).transform((value) => value ?? fallback);

const url = (protocols: string[]) =>
  optionalText.transform((value, ctx) => {
    if (value === undefined) return undefined;
    try {
      const parsed = new URL(value);
      if (protocols.includes(parsed.protocol)) return value;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: `must be a ${protocols.join(' or ')}// URL` });
    return z.NEVER;
  });

/** `host:port,host:port,…`: the seed nodes of a Redis Cluster (any few of its nodes; the rest are discovered). */
const hostPorts = optionalText.transform((value, ctx) => {
  if (value === undefined) return undefined;
  const nodes: Array<{ host: string; port: number }> = [];
  for (const entry of value.split(',').map((item) => item.trim()).filter(Boolean)) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not host:port (like 10.0.0.5:6379,10.0.0.6:6379)` });
      return z.NEVER;
    }
    nodes.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
  }
  if (nodes.length > 0) return nodes;
  ctx.addIssue({ code: 'custom', message: 'must list at least one host:port' });
  return z.NEVER;
});

const origins = optionalText.transform((value, ctx) => {
  const list = (value ?? '').split(',').map((origin) => origin.trim()).filter(Boolean);
  for (const origin of list) {
    let valid = false;
    try {
      valid = new URL(origin).origin === origin;
    } catch {
      valid = false;
    }
    if (!valid) ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin like https://app.example.com` });
  }
  return list;
});

const byteSize = (fallback: string) =>
  optionalText.transform((value, ctx) => {
    const parsed = bytes.parse(value ?? fallback);
    if (parsed !== null && Number.isFinite(parsed) && parsed > 0) return parsed;
    ctx.addIssue({ code: 'custom', message: `must be a size like 1mb or 512kb (got "${value}")` });
    return z.NEVER;
  });

/** `none` (the socket's address is the client), a hop count, or a list of trusted proxy addresses/subnets. */
const trustProxy = optionalText.transform((value, ctx): false | number | string[] => {
  const text = (value ?? 'none').trim();
  if (['none', 'false'].includes(text.toLowerCase())) return false;
  if (/^\d+$/.test(text)) return Number(text);
  const list = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  try {
    proxyAddr.compile(list);
    return list;
  } catch {
    ctx.addIssue({ code: 'custom', message: `must be none, a hop count, or addresses/subnets like loopback,10.0.0.0/8 (got "${value}")` });
    return z.NEVER;
  }
});

const roleScopes = optionalText.transform((value, ctx) => {
  const parsed = parseRoleScopes(value ?? DEFAULT_ROLE_SCOPES);
  if ('scopes' in parsed) return parsed.scopes;
  ctx.addIssue({ code: 'custom', message: `${parsed.problems.join('; ')} (like ${DEFAULT_ROLE_SCOPES})` });
  return z.NEVER;
});

export const envSchema = z.object({
  NODE_ENV: oneOf(['development', 'production', 'test'], 'development'),
  PORT: integer(4000, 0, 65535),
  HOST: optionalText.transform((value) => value ?? '0.0.0.0'),
  // Apollo Router's coprocessor on its own listener; unset: not served at all.
  COPROCESSOR_PORT: optionalInteger(0, 65535),
  COPROCESSOR_HOST: optionalText.transform((value) => value ?? '127.0.0.1'),
  // Prometheus metrics (GET /metrics) on their own listener; unset: not served at all.
  METRICS_PORT: optionalInteger(0, 65535),
  METRICS_HOST: optionalText.transform((value) => value ?? '127.0.0.1'),
  // OpenTelemetry tracing (read by the SDK itself at start-up, see observability/tracing.ts; checked here).
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']),
  OTEL_EXPORTER_OTLP_PROTOCOL: oneOf(['http/protobuf', 'http/json'], 'http/protobuf'),
  OTEL_SERVICE_NAME: optionalText.transform((value) => value ?? 'portcullis'),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  DATA_DIR: optionalText.transform((value) => value ?? '.data'),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  REDIS_URL: url(['redis:', 'rediss:']),
  // A Redis Cluster instead of one node (REDIS_URL): host:port of some of its nodes.
  REDIS_CLUSTER_NODES: hostPorts,
  REDIS_KEY_PREFIX: optionalText
    .transform((value) => value ?? 'portcullis:')
    .refine((value) => !/[{}\s]/.test(value), 'must not contain braces or spaces (they are Redis Cluster hash tags)'),
  JWT_ALGORITHM: oneOf(ALGORITHMS, 'HS256'),
  JWT_SECRET: optionalText,
  JWT_REFRESH_SECRET: optionalText,
  JWT_PRIVATE_KEY: optionalText,
  JWT_PRIVATE_KEY_FILE: optionalText,
  JWT_PUBLIC_KEY: optionalText,
  JWT_PUBLIC_KEY_FILE: optionalText,
  JWT_REFRESH_PRIVATE_KEY: optionalText,
  JWT_REFRESH_PRIVATE_KEY_FILE: optionalText,
  JWT_REFRESH_PUBLIC_KEY: optionalText,
  JWT_REFRESH_PUBLIC_KEY_FILE: optionalText,
  // Rotation: keys accepted for verification, never used to sign (parsed in load-keys.ts).
  JWT_PUBLIC_KEYS: optionalText,
  JWT_PUBLIC_KEYS_FILE: optionalText,
  JWT_REFRESH_PUBLIC_KEYS: optionalText,
  JWT_REFRESH_PUBLIC_KEYS_FILE: optionalText,
  JWT_VERIFICATION_SECRETS: optionalText,
  JWT_REFRESH_VERIFICATION_SECRETS: optionalText,
  ROLE_SCOPES: roleScopes,
  JWT_ISSUER: optionalText.transform((value) => value ?? 'portcullis'),
  JWT_AUDIENCE: optionalText.transform((value) => value ?? 'portcullis'),
  ACCESS_TOKEN_TTL: duration('15m'),
  REFRESH_TOKEN_TTL: duration('7d'),
  CLIENT_TOKEN_TTL: duration('1h'),
  SESSION_MAX_AGE: duration('30d'),
  REFRESH_REUSE_GRACE: graceDuration,
  REFRESH_TOKEN_IN_BODY: boolean(true),
  // The Redis layout new sessions are written in; v1 while instances of the previous release still run (docs/operations.md).
  SESSION_LAYOUT: oneOf(SESSION_LAYOUTS, 'v2'),
  COOKIE_SECURE: boolean(true),
  COOKIE_SAMESITE: oneOf(['lax', 'strict', 'none'], 'lax'),
  COOKIE_DOMAIN: optionalText,
  CORS_ORIGINS: origins,
  PUBLIC_URL: url(['https:', 'http:']).transform((value) => value?.replace(/\/+$/, '')),
  // OpenID providers to sign in with, like google,corp; each one's OIDC_<ID>_* are read in oidc-providers.ts.
  OIDC_PROVIDERS: optionalText,
  BODY_LIMIT: byteSize('1mb'),
  TRUST_PROXY: trustProxy,
  GRAPHQL_INTROSPECTION: optionalBoolean,
  FEDERATION_AUTH_DIRECTIVES: boolean(true),
  ARGON2_MEMORY_COST: integer(19_456, 19_456, 4_194_304),
  ARGON2_TIME_COST: integer(2, 2, 100),
  ARGON2_PARALLELISM: integer(1, 1, 16),
  /** Unset: a quarter of the CPU cores (at least 1), and below UV_THREADPOOL_SIZE. */
  ARGON2_CONCURRENCY: optionalInteger(1, 1024),
  /** The hashing process's OS priority (nice, 0–19; higher yields more): reads keep the CPU during a login storm. */
  ARGON2_NICE: integer(5, 0, 19),
  /** Read by libuv itself at start-up; validated here so ARGON2_CONCURRENCY can be checked against it. */
  UV_THREADPOOL_SIZE: integer(4, 1, 1024),
  USER_CACHE_TTL: durationOrZero('10s'),
  USER_CACHE_SIZE: integer(10_000, 1),
  RATE_LIMIT_LOGIN_PER_ACCOUNT: integer(5, 1),
  RATE_LIMIT_LOGIN_PER_ACCOUNT_WINDOW: duration('15m'),
  RATE_LIMIT_LOGIN_PER_IP: integer(50, 1),
  RATE_LIMIT_LOGIN_PER_IP_WINDOW: duration('15m'),
  RATE_LIMIT_REGISTER_PER_IP: integer(20, 1),
  RATE_LIMIT_REGISTER_PER_IP_WINDOW: duration('1h'),
  RATE_LIMIT_REFRESH_PER_IP: integer(600, 1),
  RATE_LIMIT_REFRESH_PER_IP_WINDOW: duration('15m'),
  LOGIN_MAX_LOCKOUT: duration('1h'),
  // Mail and account recovery (SPEC §10, issue 11; assembled in mail.config.ts).
  /** Unset outside production: the dev mailbox (.eml files under DATA_DIR/mail). */
  SMTP_URL: url(['smtp:', 'smtps:']),
  MAIL_FROM: optionalText.transform((value) => value ?? 'Portcullis <no-reply@localhost>'),
  // The web app: mail links point to it, sign-ins at a provider come back to its origin (or one in
  // CORS_ORIGINS), and its host and origin are the defaults of WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS.
  APP_URL: url(['https:', 'http:']).transform((value) => (value ?? 'http://localhost:3000').replace(/\/+$/, '')),
  VERIFY_EMAIL_URL: optionalText.transform((value) => value ?? '{APP_URL}/verify-email?token={token}'),
  RESET_PASSWORD_URL: optionalText.transform((value) => value ?? '{APP_URL}/reset-password?token={token}'),
  CONFIRM_EMAIL_URL: optionalText.transform((value) => value ?? '{APP_URL}/confirm-email?token={token}'),
  EMAIL_VERIFICATION: oneOf(['off', 'optional', 'required'], 'optional'),
  EMAIL_VERIFICATION_TTL: duration('24h'),
  PASSWORD_RESET_TTL: duration('30m'),
  EMAIL_CHANGE_TTL: duration('24h'),
  MAIL_MAX_ATTEMPTS: integer(10, 1, 50),
  /** The first retry's delay; each next one about doubles (10 attempts ≈ a day). */
  MAIL_RETRY_DELAY: duration('3m'),
  /** How often an idle worker looks for mail queued by other instances. */
  MAIL_POLL_INTERVAL: duration('2s'),
  RATE_LIMIT_PASSWORD_RESET_PER_EMAIL: integer(3, 1),
  RATE_LIMIT_PASSWORD_RESET_PER_EMAIL_WINDOW: duration('1h'),
  RATE_LIMIT_PASSWORD_RESET_PER_IP: integer(30, 1),
  RATE_LIMIT_PASSWORD_RESET_PER_IP_WINDOW: duration('1h'),
  RATE_LIMIT_MAIL_PER_ACCOUNT: integer(5, 1),
  RATE_LIMIT_MAIL_PER_ACCOUNT_WINDOW: duration('1h'),
  RATE_LIMIT_TOKEN_PER_IP: integer(30, 1),
  RATE_LIMIT_TOKEN_PER_IP_WINDOW: duration('15m'),
  GRAPHQL_MAX_DEPTH: integer(8, 1, 100),
  GRAPHQL_MAX_ALIASES: integer(15, 1, 1_000),
  GRAPHQL_MAX_TOKENS: integer(2_000, 100, 100_000),
  GRAPHQL_MAX_COST: integer(5_000, 10, 1_000_000),
  GRAPHQL_MAX_DIRECTIVES: integer(50, 1, 1_000),
  GRAPHQL_MAX_ENTITIES: integer(500, 1, 100_000),
  // Issue 13 (SPEC §11): secrets at rest, TOTP and passkeys.
  /** 32 bytes, base64; unset: a dev key under DATA_DIR (refused in production). */
  DATA_ENCRYPTION_KEY: optionalText,
  /** Comma-separated retired keys, still accepted to decrypt during a rotation. */
  DATA_ENCRYPTION_OLD_KEYS: optionalText,
  /** The WebAuthn relying party id, a domain; default: APP_URL's host name. */
  WEBAUTHN_RP_ID: optionalText.refine((value) => value === undefined || /^[a-z0-9.-]+$/i.test(value), 'must be a domain name like example.com (no scheme, port or path)'),
  /** Shown by the authenticator when a passkey is made (default Portcullis). */
  WEBAUTHN_RP_NAME: optionalText.transform((value) => value ?? 'Portcullis'),
  /** Origins a passkey ceremony may come from; default: APP_URL's origin. */
  WEBAUTHN_ORIGINS: origins,
  /** The issuer an authenticator app shows next to the account (default Portcullis). */
  TOTP_ISSUER: optionalText.transform((value) => value ?? 'Portcullis').refine((value) => !value.includes(':'), 'must not contain ":" (it separates issuer and account in otpauth URIs)'),
});

/** The environment as given (process.env or a test's object), before parsing. */
export type RawEnv = Record<string, string | undefined>;

export type Env = z.output<typeof envSchema>;

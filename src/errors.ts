// The one list of error codes (SPEC §5) and the GraphQL errors that carry them.
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  CONFLICT: 'CONFLICT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  RATE_LIMITED: 'RATE_LIMITED',
  /** The password was right and the account has a second factor: finish with verifyMfa (SPEC §11). */
  MFA_REQUIRED: 'MFA_REQUIRED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface FieldError {
  field: string;
  message: string;
}

/** Base of every error a client may see; `extensions.http` sets the HTTP status (Apollo strips it from the body). */
export class AppError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { status?: number; extensions?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, {
      extensions: {
        code,
        ...options.extensions,
        ...(options.status ? { http: { status: options.status } } : {}),
      },
      originalError: options.cause instanceof Error ? options.cause : undefined,
    });
    this.name = new.target.name;
  }
}

export class BadUserInputError extends AppError {
  constructor(readonly fields: FieldError[]) {
    super(ErrorCode.BAD_USER_INPUT, fields.map((f) => `${f.field}: ${f.message}`).join('; '), {
      extensions: { fields },
    });
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super(ErrorCode.CONFLICT, message);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required') {
    super(ErrorCode.UNAUTHENTICATED, message);
  }
}

export const INVALID_CREDENTIALS = 'Invalid email or password';

export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed') {
    super(ErrorCode.FORBIDDEN, message);
  }
}

/** EMAIL_VERIFICATION=required (SPEC §10): told only to who gave the right password. */
export class EmailNotVerifiedError extends AppError {
  static readonly REASON = 'EMAIL_NOT_VERIFIED';
  constructor() {
    super(ErrorCode.FORBIDDEN, 'Confirm your email address first: follow the link in the mail we sent you', {
      extensions: { reason: EmailNotVerifiedError.REASON },
    });
  }
}

/** HTTP 429 and Retry-After are set by responsePolicyPlugin, only when it is a response's only kind of error. */
export class RateLimitedError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(ErrorCode.RATE_LIMITED, 'Too many attempts, try again later', {
      extensions: { retryAfter: retryAfterSeconds },
    });
  }
}

/**
 * A right password for an account with a second factor (SPEC §11): HTTP 200, no session, no cookies;
 * the client sends `mfaToken` and a code to verifyMfa.
 */
export class MfaRequiredError extends AppError {
  constructor(mfaToken: string, methods: readonly string[]) {
    super(ErrorCode.MFA_REQUIRED, 'A second factor is required to finish signing in', { extensions: { mfaToken, methods } });
  }
}

/** A store (PostgreSQL or Redis), the identity provider or the hashing process could not answer in time: fail closed. */
export class ServiceUnavailableError extends AppError {
  static readonly MESSAGE = 'Service temporarily unavailable, try again shortly';
  constructor(
    readonly dependency: 'postgres' | 'redis' | 'identity provider' | 'password hashing',
    cause?: unknown,
  ) {
    super(ErrorCode.SERVICE_UNAVAILABLE, ServiceUnavailableError.MESSAGE, { status: 503, cause });
  }
}

/** Apollo's own request-level codes (parse, validation, variable coercion) pass through as they are. */
const APOLLO_CODES = new Set<string>([
  ErrorCode.BAD_USER_INPUT,
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

export interface ErrorLog {
  error(details: object, message: string): void;
}

/**
 * Apollo's formatError: our errors and Apollo's request errors keep their message; anything else
 * (driver errors, bugs) is logged in full and leaves as a bare INTERNAL_SERVER_ERROR.
 */
export function createErrorFormatter(logger: ErrorLog, exposeStack: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const code = typeof formatted.extensions?.code === 'string' ? formatted.extensions.code : '';
    if (original instanceof AppError) {
      const { http: _http, ...extensions } = original.extensions;
      const message = original instanceof ServiceUnavailableError ? ServiceUnavailableError.MESSAGE : original.message;
      return { message, locations: formatted.locations, path: formatted.path, extensions: { ...extensions, ...stack(formatted, exposeStack) } };
    }
    if (APOLLO_CODES.has(code) && original instanceof GraphQLError) {
      return exposeStack ? formatted : { ...formatted, extensions: { code } };
    }
    logger.error({ err: original }, 'unexpected error');
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, ...stack(formatted, exposeStack) },
    };
  };
}

function stack(formatted: GraphQLFormattedError, expose: boolean): Record<string, unknown> {
  return expose && formatted.extensions?.stacktrace ? { stacktrace: formatted.extensions.stacktrace } : {};
}

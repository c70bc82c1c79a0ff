// The stable codes a failed sign-in through an OpenID provider reports (SPEC §12): the browser flow
// sends them back as ?error=<code>, signInWithIdToken as GraphQL errors. Listed in docs/oidc.md.
import { AppError, BadUserInputError, ConflictError, ErrorCode, ForbiddenError, RateLimitedError, ServiceUnavailableError, UnauthenticatedError } from '../errors';

export const OidcErrorCode = {
  /** The callback lacked code or state. */
  INVALID_REQUEST: 'invalid_request',
  /** The state is unknown, expired, already used, or was started in another browser. */
  INVALID_STATE: 'invalid_state',
  /** The user refused at the provider. */
  ACCESS_DENIED: 'access_denied',
  /** The provider answered with another error. */
  PROVIDER_ERROR: 'provider_error',
  /** The provider is not discovered yet or cannot be reached. */
  PROVIDER_UNAVAILABLE: 'provider_unavailable',
  /** The code exchange or the ID token failed validation (signature, iss, aud, exp, nonce…). */
  INVALID_TOKEN: 'invalid_token',
  /** No account is linked and the provider gave no usable email to create one. */
  EMAIL_REQUIRED: 'email_required',
  /** An account has this email but the emails are not both verified: sign in and link it. */
  ACCOUNT_CONFLICT: 'account_conflict',
  ACCOUNT_DISABLED: 'account_disabled',
  /** Linking: this provider account is linked to another user, or this user already has one at the provider. */
  ALREADY_LINKED: 'already_linked',
  /** Linking (link=1) needs a signed-in user, the same at the start and at the callback. */
  NOT_SIGNED_IN: 'not_signed_in',
  RATE_LIMITED: 'rate_limited',
  /** Our own database or Redis could not be reached. */
  SERVICE_UNAVAILABLE: 'service_unavailable',
  SERVER_ERROR: 'server_error',
} as const;
export type OidcErrorCode = (typeof OidcErrorCode)[keyof typeof OidcErrorCode];

/** A refused provider sign-in; `detail` is for the log and the audit reason, never for the client. */
export class OidcError extends Error {
  constructor(
    readonly code: OidcErrorCode,
    readonly detail: string = code,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'OidcError';
  }
}

/** Any failure of a provider sign-in as one stable code (the browser flow's ?error=). */
export function oidcErrorCode(error: unknown): OidcErrorCode {
  if (error instanceof OidcError) return error.code;
  if (error instanceof RateLimitedError) return OidcErrorCode.RATE_LIMITED;
  if (error instanceof ServiceUnavailableError) {
    return error.dependency === 'identity provider' ? OidcErrorCode.PROVIDER_UNAVAILABLE : OidcErrorCode.SERVICE_UNAVAILABLE;
  }
  if (error instanceof ForbiddenError) return OidcErrorCode.ACCOUNT_DISABLED;
  return OidcErrorCode.SERVER_ERROR;
}

const MESSAGES: Partial<Record<OidcErrorCode, () => AppError>> = {
  [OidcErrorCode.INVALID_REQUEST]: () => new BadUserInputError([{ field: 'provider', message: 'is not a configured provider' }]),
  [OidcErrorCode.INVALID_TOKEN]: () => new UnauthenticatedError('Invalid ID token'),
  [OidcErrorCode.EMAIL_REQUIRED]: () => new UnauthenticatedError('The provider gave no email to create an account with'),
  [OidcErrorCode.ACCOUNT_CONFLICT]: () =>
    new ConflictError('An account with this email already exists: sign in to it and link this provider from there'),
  [OidcErrorCode.ACCOUNT_DISABLED]: () => new ForbiddenError('This account is disabled'),
  [OidcErrorCode.ALREADY_LINKED]: () => new ConflictError('This provider account is already linked to another user'),
  [OidcErrorCode.PROVIDER_UNAVAILABLE]: () => new ServiceUnavailableError('identity provider'),
};

/** signInWithIdToken's GraphQL error for a refused sign-in; other errors pass through unchanged. */
export function toGraphQLError(error: unknown): unknown {
  if (!(error instanceof OidcError)) return error;
  return MESSAGES[error.code]?.() ?? new AppError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error');
}

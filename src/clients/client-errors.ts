// The ways a client-credentials request is refused, so /oauth/token can answer RFC 6749 §5.2 codes.
import { ForbiddenError, UnauthenticatedError } from '../errors';

/** Unknown client, wrong secret (one answer for both). */
export class InvalidClientError extends UnauthenticatedError {
  constructor() {
    super('Invalid client credentials');
  }
}

/** The secret was right, but the client is disabled (said only after a correct secret, like logins). */
export class ClientDisabledError extends ForbiddenError {
  constructor() {
    super('This client is disabled');
  }
}

/** A scope beyond the client's allowed ones was asked for. */
export class ScopeNotAllowedError extends ForbiddenError {
  constructor(readonly scopes: string[]) {
    super(`Scope not allowed for this client: ${scopes.join(' ')}`);
  }
}

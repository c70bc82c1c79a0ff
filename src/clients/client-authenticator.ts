// The context builder's check for machine-client tokens: a valid client token whose client is still
// enabled at that secret version (one Redis GET), so disabling or rotating refuses its tokens at once.
import { CLIENT_SCOPES } from '../auth/scopes';
import { InvalidTokenError, type TokenService } from '../auth/tokens';
import type { ClientStateStore } from './service-client';

/** A machine client making the request. */
export interface ServiceClientPrincipal {
  clientId: string;
  scopes: string[];
}

export type ClientAuthentication = { principal: ServiceClientPrincipal } | { principal: null; reason: string };

export class ClientAuthenticator {
  constructor(private readonly deps: { tokens: TokenService; state: ClientStateStore }) {}

  async authenticate(accessToken: string): Promise<ClientAuthentication> {
    let claims;
    try {
      claims = this.deps.tokens.verifyClient(accessToken);
    } catch (error) {
      if (error instanceof InvalidTokenError) return { principal: null, reason: error.message };
      throw error;
    }
    if (!(await this.deps.state.isLive(claims.client_id, claims.ver))) return { principal: null, reason: 'client disabled, rotated or unknown' };
    // Only scopes a client may hold count (never `admin` or `profile:read`), whatever a token or a hand-edited row says.
    const scopes = claims.scope ? claims.scope.split(' ').filter((scope) => CLIENT_SCOPES.includes(scope)) : [];
    return { principal: { clientId: claims.client_id, scopes } };
  }
}

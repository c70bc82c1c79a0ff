// The context builder's check for machine-client tokens: a valid client token whose client is still
// enabled at that secret version (one Redis GET), so disabling or rotating refuses its tokens at once.
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
    return { principal: { clientId: claims.client_id, scopes: claims.scope ? claims.scope.split(' ') : [] } };
  }
}

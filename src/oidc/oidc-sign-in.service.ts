// Sign-in through an OpenID provider (SPEC §12): the browser flow (start → provider → callback, with
// authorization code + PKCE S256 and state and nonce kept server-side) and signInWithIdToken for native
// apps. Either ends in the same session, tokens and audit as a password login (AuthService.signInVerified).
import * as client from 'openid-client';
import type { JWTPayload } from 'jose';
import type { Logger } from 'pino';
import { noAudit, type AuditLog } from '../audit/audit-event';
import type { AuthResult, AuthService, ClientInfo } from '../auth/auth.service';
import type { RateLimits } from '../auth/rate-limit';
import { ForbiddenError, ServiceUnavailableError } from '../errors';
import { verifyIdToken, isNetworkFailure } from './id-token.verifier';
import type { OidcAccountService, ProviderIdentity } from './oidc-accounts.service';
import { OidcError, OidcErrorCode, oidcErrorCode } from './oidc-error';
import type { OidcFlowStore } from './oidc-flow.store';
import type { DiscoveredProvider, OidcProviderRegistry } from './oidc-provider.registry';

/** How long a started browser flow may take to come back (SPEC §12). */
export const FLOW_TTL_SECONDS = 600;

export interface OidcSignInDeps {
  registry: OidcProviderRegistry;
  flows: OidcFlowStore;
  accounts: OidcAccountService;
  auth: AuthService;
  limits: Pick<RateLimits, 'beginProviderSignIn' | 'providerSignInSucceeded'>;
  audit?: AuditLog;
  logger: Logger;
  /** PUBLIC_URL: the callback is PUBLIC_URL/auth/oidc/<id>/callback, never built from the request's Host. */
  publicUrl: string;
}

/** How a callback ended: signed in, linked, or refused with a code; `redirectTo` is the flow's own (checked at start). */
export type CallbackOutcome =
  | { kind: 'signed-in'; redirectTo: string; result: AuthResult }
  | { kind: 'linked'; redirectTo: string }
  | { kind: 'failed'; redirectTo: string | undefined; code: OidcErrorCode };

export class OidcSignInService {
  constructor(private readonly deps: OidcSignInDeps) {}

  callbackUrl(providerId: string): string {
    return `${this.deps.publicUrl}/auth/oidc/${providerId}/callback`;
  }

  /** Returns the provider's authorization URL and the state to bind to this browser. */
  async start(providerId: string, options: { redirectTo: string; linkUserId?: string }, requester: ClientInfo): Promise<{ url: URL; state: string }> {
    await this.deps.limits.beginProviderSignIn(requester.ip);
    const provider = this.deps.registry.get(providerId);
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(provider.client, {
      redirect_uri: this.callbackUrl(providerId),
      scope: provider.settings.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    await this.deps.flows.save(state, { provider: providerId, codeVerifier, nonce, redirectTo: options.redirectTo, linkUserId: options.linkUserId }, FLOW_TTL_SECONDS);
    return { url, state };
  }

  /**
   * `query`: the callback's query string as received; `boundState`: the state this browser started with
   * (its flow cookie); `viewerId`: who is signed in now (for link=1). Never throws: every failure is a code.
   */
  async callback(providerId: string, query: URLSearchParams, boundState: string | undefined, viewerId: string | null, requester: ClientInfo): Promise<CallbackOutcome> {
    const state = query.get('state');
    let redirectTo: string | undefined;
    try {
      if (!state) throw new OidcError(OidcErrorCode.INVALID_REQUEST, 'no state');
      // The state must be the one this browser started: a callback URL planted in someone else's browser is refused.
      if (state !== boundState) throw new OidcError(OidcErrorCode.INVALID_STATE, 'state is not this browser’s');
      const flow = await this.deps.flows.take(state); // single use: a replayed callback finds nothing
      if (!flow || flow.provider !== providerId) throw new OidcError(OidcErrorCode.INVALID_STATE, 'unknown, expired or used state');
      redirectTo = flow.redirectTo;
      if (flow.linkUserId && flow.linkUserId !== viewerId) throw new OidcError(OidcErrorCode.NOT_SIGNED_IN, 'link: not signed in as the user who started');
      const provider = this.deps.registry.get(providerId);
      const identity = await this.exchange(provider, query, { state, nonce: flow.nonce, codeVerifier: flow.codeVerifier });
      if (flow.linkUserId) {
        await this.deps.accounts.link(flow.linkUserId, identity, requester);
        return { kind: 'linked', redirectTo };
      }
      return { kind: 'signed-in', redirectTo, result: await this.signIn(identity, requester) };
    } catch (error) {
      const code = oidcErrorCode(error);
      this.failed(providerId, code, error, requester);
      return { kind: 'failed', redirectTo, code };
    }
  }

  /** signInWithIdToken: an ID token a native app got from the provider itself. */
  async signInWithIdToken(providerId: string, idToken: string, nonce: string | undefined, requester: ClientInfo): Promise<AuthResult> {
    try {
      await this.deps.limits.beginProviderSignIn(requester.ip);
      if (!this.deps.registry.settings(providerId)) throw new OidcError(OidcErrorCode.INVALID_REQUEST, 'unknown provider');
      const claims = await verifyIdToken(this.deps.registry.get(providerId), idToken, nonce);
      return await this.signIn(identityOf(providerId, claims), requester);
    } catch (error) {
      this.failed(providerId, oidcErrorCode(error), error, requester);
      throw error;
    }
  }

  private async signIn(identity: ProviderIdentity, requester: ClientInfo): Promise<AuthResult> {
    const user = await this.deps.accounts.signInUser(identity, requester);
    const result = await this.deps.auth.signInVerified(user, requester, `oidc:${identity.provider}`);
    await this.deps.limits.providerSignInSucceeded(requester.ip);
    return result;
  }

  /** Code → tokens at the provider; openid-client checks state, PKCE, and the ID token (signature, iss, aud, exp, nonce). */
  private async exchange(provider: DiscoveredProvider, query: URLSearchParams, checks: { state: string; nonce: string; codeVerifier: string }): Promise<ProviderIdentity> {
    const currentUrl = new URL(this.callbackUrl(provider.settings.id));
    currentUrl.search = query.toString();
    try {
      const tokens = await client.authorizationCodeGrant(provider.client, currentUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new OidcError(OidcErrorCode.INVALID_TOKEN, 'no ID token');
      let identity = identityOf(provider.settings.id, claims);
      // Many providers put the email in userinfo rather than the ID token.
      if (identity.email === undefined && provider.client.serverMetadata().userinfo_endpoint) {
        const info = await client.fetchUserInfo(provider.client, tokens.access_token, claims.sub);
        identity = { ...identity, ...emailOf(info), name: identity.name ?? stringClaim(info.name) };
      }
      return identity;
    } catch (error) {
      throw classify(error);
    }
  }

  private failed(providerId: string, code: OidcErrorCode, error: unknown, requester: ClientInfo): void {
    const provider = this.deps.registry.settings(providerId) ? providerId : '(unknown provider)'; // never a client's free text
    const detail = error instanceof OidcError ? error.detail : (error as Error)?.message;
    if (code === OidcErrorCode.SERVER_ERROR) this.deps.logger.error({ err: error, provider }, 'OpenID sign-in failed unexpectedly');
    else this.deps.logger.info({ provider, code, detail }, 'OpenID sign-in refused');
    if (error instanceof ForbiddenError) return; // a disabled user: AuthService.signInVerified recorded it
    (this.deps.audit ?? noAudit).record({
      type: 'LOGIN_FAILED',
      outcome: 'FAILURE',
      reason: `oidc:${provider}: ${code}${detail && detail !== code ? ` (${detail})` : ''}`.slice(0, 200),
      ip: requester.ip,
      userAgent: requester.userAgent,
    });
  }
}

/** openid-client's errors by kind: the provider said no, cannot be reached, or what it sent failed validation. */
function classify(error: unknown): unknown {
  if (error instanceof OidcError || error instanceof ServiceUnavailableError) return error;
  if (error instanceof client.AuthorizationResponseError) {
    return new OidcError(error.error === 'access_denied' ? OidcErrorCode.ACCESS_DENIED : OidcErrorCode.PROVIDER_ERROR, error.error);
  }
  if (isNetworkFailure(error)) return new ServiceUnavailableError('identity provider', error);
  if (error instanceof client.ClientError && (error.cause as { status?: unknown } | undefined)?.status !== undefined && Number((error.cause as Response).status) >= 500) {
    return new ServiceUnavailableError('identity provider', error);
  }
  if (error instanceof client.ResponseBodyError) return new OidcError(OidcErrorCode.INVALID_TOKEN, `token endpoint: ${error.error}`);
  if (error instanceof client.ClientError) return new OidcError(OidcErrorCode.INVALID_TOKEN, error.code ?? error.message);
  return error;
}

function identityOf(provider: string, claims: JWTPayload): ProviderIdentity {
  return { provider, subject: String(claims.sub), ...emailOf(claims), name: stringClaim(claims.name) };
}

/** email_verified may arrive as a boolean or, from some providers, the string "true". */
function emailOf(claims: Record<string, unknown>): { email: string | undefined; emailVerified: boolean } {
  return { email: stringClaim(claims.email), emailVerified: claims.email_verified === true || claims.email_verified === 'true' };
}

const stringClaim = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

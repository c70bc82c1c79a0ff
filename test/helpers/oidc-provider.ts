// A real OpenID provider for the tests: panva's oidc-provider (OpenID certified) in this process, on a
// loopback port, with a client for the service and a programmatic interaction: the account named in
// `nextLogin` logs in and consents (or, with 'deny', refuses). The test holds the provider's signing key,
// so it can also mint ID tokens "from the provider", and forged ones, with jose.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import Provider, { type InteractionResults } from 'oidc-provider';

export interface TestAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export const TEST_CLIENT = { id: 'portcullis-web', secret: 'portcullis-web-secret-0123456789abcdef' };
/** A second audience, as a native app's own client id would be. */
export const NATIVE_CLIENT_ID = 'portcullis-ios';

export interface StartOptions {
  /** The service's callback URL(s) to register for the client. */
  redirectUris: string[];
  /** A port to listen on (one the service was told about before the provider existed); default a free one. */
  port?: number;
}

export class TestOidcProvider {
  readonly accounts = new Map<string, TestAccount>();
  /** Who logs in at the next interaction, or 'deny' to refuse consent. */
  nextLogin: string = 'alice';
  /** Requests to the JWKS, counted (the refetch floor is tested with it). */
  jwksRequests = 0;

  private constructor(
    readonly issuer: string,
    private readonly server: http.Server,
    readonly signingKey: { privateKey: Parameters<SignJWT['sign']>[0]; publicJwk: JWK; kid: string },
  ) {}

  static async start(options: StartOptions): Promise<TestOidcProvider> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = 'test-provider-key-1';
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const instance = new TestOidcProvider(issuer, server, { privateKey, publicJwk, kid });
    const provider = quietly(() => new Provider(issuer, {
      clients: [
        {
          client_id: TEST_CLIENT.id,
          client_secret: TEST_CLIENT.secret,
          redirect_uris: options.redirectUris,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      jwks: { keys: [privateJwk] },
      findAccount: (_ctx, id) => {
        const account = instance.accounts.get(id);
        if (!account) return undefined;
        return { accountId: id, claims: () => ({ ...account }) };
      },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      features: { devInteractions: { enabled: false } },
      cookies: { keys: ['test-provider-cookie-key-0123456789'] },
      pkce: { required: () => true },
      ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    }));
    const callback = provider.callback();
    server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
      if (request.url?.startsWith('/interaction/')) return void instance.interact(provider, request, response);
      if (request.url?.startsWith('/jwks')) instance.jwksRequests += 1;
      void callback(request, response);
    });
    return instance;
  }

  /** The login page and consent screen, answered by the test: `nextLogin` signs in and consents to everything asked. */
  private async interact(provider: Provider, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    try {
      const details = await provider.interactionDetails(request, response);
      let result: InteractionResults;
      if (this.nextLogin === 'deny') {
        result = { error: 'access_denied', error_description: 'The user refused' };
      } else if (details.prompt.name === 'login') {
        result = { login: { accountId: this.nextLogin } };
      } else {
        const grant = details.grantId
          ? (await provider.Grant.find(details.grantId))!
          : new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
        const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        result = { consent: { grantId: await grant.save() } };
      }
      await provider.interactionFinished(request, response, result, { mergeWithLastSubmission: false });
    } catch (error) {
      response.statusCode = 500;
      response.end(String(error));
    }
  }

  addAccount(account: TestAccount): TestAccount {
    this.accounts.set(account.sub, account);
    return account;
  }

  /** An ID token signed with the provider's own key (as the provider would issue it), claims overridable. */
  async mint(claims: JWTPayload, options: { header?: Record<string, unknown>; key?: Parameters<SignJWT['sign']>[0]; alg?: string } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: this.issuer, aud: TEST_CLIENT.id, iat: now, exp: now + 300, ...claims })
      .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: this.signingKey.kid, typ: 'JWT', ...options.header })
      .sign(options.key ?? this.signingKey.privateKey);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A free loopback port, for a server that must be named in configuration before it starts. */
/** oidc-provider warns that its in-memory store is for development: that is what a test wants, so not shown. */
function quietly<T>(build: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes('in-memory adapter')) warn(...args);
  };
  try {
    return build();
  } finally {
    console.warn = warn;
  }
}

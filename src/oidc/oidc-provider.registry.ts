// The configured OpenID providers and what discovery found for each (SPEC §12). Discovery runs at
// start-up in the background: a provider that cannot be reached is retried with a growing back-off and
// answers "unavailable" meanwhile; it never stops the service.
import * as client from 'openid-client';
import { createRemoteJWKSet, customFetch as joseCustomFetch, type JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import type { OidcProviderConfig } from '../config/config';
import { ServiceUnavailableError } from '../errors';

/** A discovered provider: openid-client's configuration (browser flow) and its JWKS (native ID tokens). */
export interface DiscoveredProvider {
  readonly settings: OidcProviderConfig;
  readonly client: client.Configuration;
  /** Keys cached; an unknown kid refetches the set, at most once per JWKS_REFETCH_FLOOR_MS. */
  readonly jwks: JWTVerifyGetKey;
  /** Asymmetric algorithms the provider signs ID tokens with (never none, never HMAC). */
  readonly algorithms: string[];
}

export interface RegistryOptions {
  logger: Logger;
  /** For tests that play a network which tampers with the provider's answers. */
  fetch?: typeof fetch;
  /** First retry delay; it doubles up to MAX_RETRY_MS. */
  firstRetryMs?: number;
}

const DISCOVERY_TIMEOUT_SECONDS = 5;
const MAX_RETRY_MS = 60_000;
const JWKS_REFETCH_FLOOR_MS = 30_000;
const JWKS_MAX_AGE_MS = 10 * 60_000;
/** openid-client's clock tolerance, as for our own tokens (SPEC §6: at most 5 s). */
const CLOCK_TOLERANCE_SECONDS = 5;
const ASYMMETRIC = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']);

export class OidcProviderRegistry {
  private readonly discovered = new Map<string, DiscoveredProvider>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly providers: readonly OidcProviderConfig[],
    private readonly options: RegistryOptions,
  ) {}

  /** Starts discovering every provider; resolves once each has had its first attempt. */
  async start(): Promise<void> {
    await Promise.all(this.providers.map((provider) => this.discover(provider, this.options.firstRetryMs ?? 1_000)));
  }

  list(): Array<{ id: string; name: string; available: boolean }> {
    return this.providers.map((provider) => ({ id: provider.id, name: provider.displayName, available: this.discovered.has(provider.id) }));
  }

  settings(id: string): OidcProviderConfig | undefined {
    return this.providers.find((provider) => provider.id === id);
  }

  /** The discovered provider; SERVICE_UNAVAILABLE while discovery has not succeeded yet. */
  get(id: string): DiscoveredProvider {
    const provider = this.discovered.get(id);
    if (!provider) throw new ServiceUnavailableError('identity provider');
    return provider;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async discover(settings: OidcProviderConfig, retryMs: number): Promise<void> {
    if (this.closed) return;
    try {
      this.discovered.set(settings.id, await this.fetchMetadata(settings));
      this.options.logger.info({ provider: settings.id, issuer: settings.issuer }, 'OpenID provider discovered');
    } catch (error) {
      if (this.closed) return;
      this.options.logger.warn(
        { provider: settings.id, issuer: settings.issuer, err: (error as Error).message, cause: causeOf(error), retryInMs: retryMs },
        'OpenID provider discovery failed: sign-in with it is unavailable until a retry succeeds',
      );
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.discover(settings, Math.min(retryMs * 2, MAX_RETRY_MS));
      }, retryMs);
      timer.unref();
      this.timers.add(timer);
    }
  }

  private async fetchMetadata(settings: OidcProviderConfig): Promise<DiscoveredProvider> {
    const issuer = new URL(settings.issuer);
    const { fetch: customFetch } = this.options;
    const configuration = await client.discovery(
      issuer,
      settings.clientId,
      { client_secret: settings.clientSecret, [client.clockTolerance]: CLOCK_TOLERANCE_SECONDS },
      settings.clientSecret ? client.ClientSecretBasic(settings.clientSecret) : client.None(),
      {
        timeout: DISCOVERY_TIMEOUT_SECONDS,
        execute: [
          // The ID token from the token endpoint is checked against the provider's JWKS too, not only trusted for TLS.
          client.enableNonRepudiationChecks,
          ...(issuer.protocol === 'http:' ? [client.allowInsecureRequests] : []), // development only (config refuses http in production)
        ],
        ...(customFetch ? { [client.customFetch]: customFetch } : {}),
      },
    );
    if (customFetch) configuration[client.customFetch] = customFetch;
    configuration.timeout = DISCOVERY_TIMEOUT_SECONDS;
    const metadata = configuration.serverMetadata();
    if (!metadata.jwks_uri) throw new Error('the provider publishes no jwks_uri');
    const advertised = metadata.id_token_signing_alg_values_supported ?? ['RS256'];
    const algorithms = advertised.filter((alg) => ASYMMETRIC.has(alg));
    if (algorithms.length === 0) throw new Error(`the provider signs ID tokens with none of ${[...ASYMMETRIC].join(', ')}`);
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri), {
      cooldownDuration: JWKS_REFETCH_FLOOR_MS,
      cacheMaxAge: JWKS_MAX_AGE_MS,
      timeoutDuration: DISCOVERY_TIMEOUT_SECONDS * 1000,
      ...(customFetch ? { [joseCustomFetch]: customFetch } : {}),
    });
    return { settings, client: configuration, jwks, algorithms };
  }
}

/** What an operator needs from a failed discovery: the socket error's code (ECONNREFUSED, ENOTFOUND…) or message. */
function causeOf(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  return typeof cause?.message === 'string' ? cause.message : undefined;
}

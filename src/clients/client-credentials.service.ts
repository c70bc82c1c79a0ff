// The client-credentials grant (RFC 6749 §4.4), for GraphQL's clientToken and POST /oauth/token:
// rate-limited like logins, constant-time secret check, scopes a subset of the allowed ones.
import { noAudit, type AuditLog, type AuthEventInput } from '../audit/audit-event';
import type { ClientInfo } from '../auth/auth.service';
import type { RateLimits } from '../auth/rate-limit';
import type { Clock, TokenService } from '../auth/tokens';
import type { Duration } from '../config/duration';
import { RateLimitedError } from '../errors';
import { ClientDisabledError, InvalidClientError, ScopeNotAllowedError } from './client-errors';
import { DUMMY_SECRET_HASH, secretMatches } from './client-secret';
import type { ClientStateStore, ServiceClientRepository } from './service-client';

const MAX_ID_LENGTH = 64;
const MAX_SECRET_LENGTH = 128;

export interface ClientTokenResult {
  accessToken: string;
  expiresIn: number;
  scopes: string[];
}

export interface ClientCredentialsDeps {
  clients: ServiceClientRepository;
  state: ClientStateStore;
  tokens: TokenService;
  /** The login limits (SPEC §8), with "client:<id>" as the account: failures per client id and per IP, lock-out back-off. */
  limits: Pick<RateLimits, 'beginLogin' | 'loginSucceeded'>;
  tokenTtl: Duration;
  clock: Clock;
  audit?: AuditLog;
}

export class ClientCredentialsService {
  constructor(private readonly deps: ClientCredentialsDeps) {}

  /** `scopes` null or empty: every allowed scope (RFC 6749 §3.3 lets the server pick the default). */
  async issue(input: { clientId: string; clientSecret: string; scopes: string[] | null }, client: ClientInfo): Promise<ClientTokenResult> {
    const { clients, state, tokens, limits, tokenTtl } = this.deps;
    const event = (outcome: 'SUCCESS' | 'FAILURE', reason: string | null = null) =>
      this.record({ type: outcome === 'SUCCESS' ? 'CLIENT_TOKEN_ISSUED' : 'CLIENT_TOKEN_REFUSED', outcome, reason, clientId: input.clientId }, client);
    if (input.clientId.length > MAX_ID_LENGTH || input.clientSecret.length > MAX_SECRET_LENGTH) {
      event('FAILURE', 'malformed credentials');
      throw new InvalidClientError();
    }
    // Counted as a failure before the secret is checked, so parallel guesses cannot slip past the limit.
    const account = `client:${input.clientId}`;
    await limits.beginLogin(account, client.ip).catch((error: unknown) => {
      if (error instanceof RateLimitedError) event('FAILURE', 'rate limited');
      throw error;
    });

    const record = await clients.findById(input.clientId);
    const matches = secretMatches(record?.secretHash ?? DUMMY_SECRET_HASH, input.clientSecret);
    if (!record || !matches) {
      event('FAILURE', record ? 'wrong secret' : 'unknown client');
      throw new InvalidClientError();
    }
    await limits.loginSucceeded(account, client.ip);
    if (record.disabled) {
      event('FAILURE', 'client disabled');
      throw new ClientDisabledError();
    }
    const requested = input.scopes && input.scopes.length > 0 ? [...new Set(input.scopes)] : record.scopes;
    const excess = requested.filter((scope) => !record.scopes.includes(scope));
    if (excess.length > 0) {
      event('FAILURE', `scope not allowed: ${excess.join(' ')}`);
      throw new ScopeNotAllowedError(excess);
    }
    // Refused when a disable or rotation won a race with this request.
    if (!(await state.activate(record.id, record.secretVersion, tokenTtl.seconds))) {
      event('FAILURE', 'client disabled or rotated meanwhile');
      throw new InvalidClientError();
    }
    const scope = requested.join(' ');
    const issued = tokens.signClient({ clientId: record.id, version: record.secretVersion, scope }, tokenTtl);
    await clients.touch(record.id, new Date(this.deps.clock() * 1000));
    event('SUCCESS', scope);
    return { accessToken: issued.token, expiresIn: tokenTtl.seconds, scopes: requested };
  }

  private record(event: AuthEventInput, client: ClientInfo): void {
    (this.deps.audit ?? noAudit).record({ ...event, ip: client.ip, userAgent: client.userAgent });
  }
}

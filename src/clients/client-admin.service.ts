// Admin operations on machine clients: create (the secret is shown once), rotate the secret, disable.
import { noAudit, type Actor, type AuditLog, type AuthEventType } from '../audit/audit-event';
import { CLIENT_SCOPES } from '../auth/scopes';
import { codePoints } from '../auth/auth.validation';
import type { Duration } from '../config/duration';
import { BadUserInputError, type FieldError } from '../errors';
import { hashClientSecret, newClientId, newClientSecret } from './client-secret';
import type { ClientStateStore, ServiceClientRecord, ServiceClientRepository } from './service-client';

export interface IssuedSecret {
  client: ServiceClientRecord;
  clientSecret: string;
}

export interface ClientAdminDeps {
  clients: ServiceClientRepository;
  state: ClientStateStore;
  tokenTtl: Duration;
  audit?: AuditLog;
}

export class ClientAdminService {
  constructor(private readonly deps: ClientAdminDeps) {}

  list(): Promise<ServiceClientRecord[]> {
    return this.deps.clients.list();
  }

  async create(input: { name: string; scopes: string[] }, actor: Actor): Promise<IssuedSecret> {
    const name = input.name.trim();
    const scopes = [...new Set(input.scopes)];
    const problems: FieldError[] = [];
    if (codePoints(name) < 2 || codePoints(name) > 100) problems.push({ field: 'name', message: 'must be 2 to 100 characters' });
    const unknown = scopes.filter((scope) => !CLIENT_SCOPES.includes(scope));
    if (unknown.length > 0) problems.push({ field: 'scopes', message: `unknown scopes: ${unknown.join(' ')} (known: ${CLIENT_SCOPES.join(' ')})` });
    else if (scopes.length === 0) problems.push({ field: 'scopes', message: 'must name at least one scope' });
    if (problems.length > 0) throw new BadUserInputError(problems);

    const clientSecret = newClientSecret();
    const client = await this.deps.clients.create({ id: newClientId(), name, secretHash: hashClientSecret(clientSecret), scopes });
    this.record('CLIENT_CREATED', client.id, actor, scopes.join(' '));
    return { client, clientSecret };
  }

  /** The old secret stops working, and so do the tokens issued with it, at once. */
  async rotateSecret(id: string, actor: Actor): Promise<IssuedSecret> {
    const clientSecret = newClientSecret();
    const client = await this.deps.clients.rotateSecret(id, hashClientSecret(clientSecret));
    if (!client) throw missingClient();
    await this.deps.state.rotate(client.id, client.secretVersion, this.deps.tokenTtl.seconds);
    this.record('CLIENT_SECRET_ROTATED', client.id, actor, null);
    return { client, clientSecret };
  }

  /** Refuses the client's tokens first (Redis), then records it: a failure in between errs on the closed side. */
  async disable(id: string, actor: Actor): Promise<ServiceClientRecord> {
    const existing = await this.deps.clients.findById(id);
    if (!existing) throw missingClient();
    await this.deps.state.disable(existing.id, this.deps.tokenTtl.seconds);
    const client = await this.deps.clients.disable(existing.id);
    if (!client) throw missingClient();
    this.record('CLIENT_DISABLED', client.id, actor, null);
    return client;
  }

  private record(type: AuthEventType, clientId: string, actor: Actor, reason: string | null): void {
    (this.deps.audit ?? noAudit).record({ type, outcome: 'SUCCESS', clientId, actorId: actor.userId, ip: actor.ip, userAgent: actor.userAgent, reason });
  }
}

const missingClient = () => new BadUserInputError([{ field: 'id', message: 'no such client' }]);

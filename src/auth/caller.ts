// Who an access token names: a user with a live session, a machine client still enabled, or nobody
// (with the reason, for logs). The one check behind the context builder and the coprocessor.
import type { ClientAuthenticator, ServiceClientPrincipal } from '../clients/client-authenticator';
import type { SessionAuthenticator } from './session-authenticator';
import type { Viewer } from './viewer';

export type Caller =
  | { kind: 'user'; viewer: Viewer }
  | { kind: 'client'; client: ServiceClientPrincipal }
  | { kind: 'anonymous'; reason: string };

export interface CallerDeps {
  users: SessionAuthenticator;
  clients?: ClientAuthenticator;
}

/** Store failures propagate: an outage is SERVICE_UNAVAILABLE, never anonymity (SPEC §5). */
export async function identifyCaller(deps: CallerDeps, token: string | undefined): Promise<Caller> {
  const authentication = await deps.users.authenticate(token);
  if (authentication.viewer) return { kind: 'user', viewer: authentication.viewer };
  // Not a user's token: it may be a machine client's (checked only then, off the users' hot path).
  if (!token || !deps.clients) return { kind: 'anonymous', reason: authentication.reason };
  const machine = await deps.clients.authenticate(token);
  if (machine.principal) return { kind: 'client', client: machine.principal };
  return { kind: 'anonymous', reason: `${authentication.reason} (as a client token: ${machine.reason})` };
}

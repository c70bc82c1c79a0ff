// Which user a provider's identity is (SPEC §12): the linked (provider, sub) pair; else a new user,
// unless an account has the same email, which is linked only when the provider says email_verified
// AND the local email is verified (otherwise CONFLICT: sign in and link it). Also linkedAccounts and unlinkAccount.
import { noAudit, type AuditLog, type AuthEventInput } from '../audit/audit-event';
import type { ClientInfo } from '../auth/auth.service';
import { isRegistrableEmail, normalizeEmail } from '../auth/auth.validation';
import { ForbiddenError } from '../errors';
import { canStillSignIn } from '../users/sign-in-methods';
import type { UserRecord, UserRepository } from '../users/user';
import { LinkConflictError, type LinkedAccountRecord, type LinkedAccountRepository } from './linked-account';
import { OidcError, OidcErrorCode } from './oidc-error';

/** What a provider vouched for, after the ID token (and userinfo) were validated. */
export interface ProviderIdentity {
  provider: string;
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
  name: string | undefined;
}

export interface OidcAccountDeps {
  users: UserRepository;
  accounts: LinkedAccountRepository;
  /** Providers configured now: only their accounts count as a way to sign in. */
  providerIds: readonly string[];
  audit?: AuditLog;
  now?: () => Date;
}

export class OidcAccountService {
  constructor(private readonly deps: OidcAccountDeps) {}

  /** The user to sign in as; creates one (without a password) on a first sign-in. */
  async signInUser(identity: ProviderIdentity, client: ClientInfo, retried = false): Promise<UserRecord> {
    const { users, accounts } = this.deps;
    const linked = await accounts.find(identity.provider, identity.subject);
    if (linked) {
      const user = await users.findById(linked.userId);
      if (user) {
        await accounts.touch(linked.id, this.now());
        return user;
      }
    }
    const email = usableEmail(identity.email);
    if (!email) throw new OidcError(OidcErrorCode.EMAIL_REQUIRED, 'no usable email from the provider');
    try {
      const existing = await users.findByEmail(email);
      if (!existing) {
        const user = await accounts.createUserWithAccount(
          { email, name: displayName(identity, email), passwordHash: null, emailVerified: identity.emailVerified },
          { provider: identity.provider, subject: identity.subject, email },
        );
        this.event({ type: 'REGISTER', outcome: 'SUCCESS', userId: user.id, reason: `oidc:${identity.provider}` }, client);
        return user;
      }
      if (!identity.emailVerified || !existing.emailVerified) {
        throw new OidcError(OidcErrorCode.ACCOUNT_CONFLICT, `email taken, verified by provider: ${identity.emailVerified}, locally: ${existing.emailVerified}`);
      }
      if (!existing.active) throw new OidcError(OidcErrorCode.ACCOUNT_DISABLED, 'account disabled');
      await accounts.link(existing.id, { provider: identity.provider, subject: identity.subject, email });
      this.event({ type: 'ACCOUNT_LINKED', outcome: 'SUCCESS', userId: existing.id, reason: `oidc:${identity.provider}: same verified email` }, client);
      return existing;
    } catch (error) {
      // A concurrent first sign-in (another tab) created the user or the link in between: decide again, once.
      if (error instanceof LinkConflictError && !retried) return this.signInUser(identity, client, true);
      if (error instanceof LinkConflictError) throw new OidcError(OidcErrorCode.ALREADY_LINKED, 'link conflict');
      throw error;
    }
  }

  /** Links the provider account to a signed-in user (the browser flow with link=1). */
  async link(userId: string, identity: ProviderIdentity, client: ClientInfo): Promise<void> {
    const linked = await this.deps.accounts.find(identity.provider, identity.subject);
    if (linked?.userId === userId) return; // already this user's: nothing to do
    if (linked) throw new OidcError(OidcErrorCode.ALREADY_LINKED, 'linked to another user');
    const user = await this.deps.users.findById(userId);
    if (!user?.active) throw new OidcError(OidcErrorCode.NOT_SIGNED_IN, 'user gone or disabled');
    try {
      await this.deps.accounts.link(userId, { provider: identity.provider, subject: identity.subject, email: usableEmail(identity.email) ?? null });
    } catch (error) {
      if (error instanceof LinkConflictError) throw new OidcError(OidcErrorCode.ALREADY_LINKED, 'user has an account at this provider');
      throw error;
    }
    this.event({ type: 'ACCOUNT_LINKED', outcome: 'SUCCESS', userId, actorId: userId, reason: `oidc:${identity.provider}` }, client);
  }

  list(userId: string): Promise<LinkedAccountRecord[]> {
    return this.deps.accounts.listForUser(userId);
  }

  /** False when nothing is linked at the provider; FORBIDDEN when it is the user's last way to sign in. */
  async unlink(userId: string, provider: string, client: ClientInfo): Promise<boolean> {
    const usable = (accounts: LinkedAccountRecord[]) => accounts.filter((account) => this.deps.providerIds.includes(account.provider)).length;
    const outcome = await this.deps.accounts.unlinkIf(userId, provider, ({ hasPassword, accounts }) =>
      canStillSignIn({ hasPassword, usableLinkedAccounts: usable(accounts) }),
    );
    if (outcome === 'refused') {
      throw new ForbiddenError('This is your only way to sign in: set a password or link another provider first');
    }
    if (outcome === 'unlinked') this.event({ type: 'ACCOUNT_UNLINKED', outcome: 'SUCCESS', userId, actorId: userId, reason: `oidc:${provider}` }, client);
    return outcome === 'unlinked';
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private event(event: AuthEventInput, client: ClientInfo): void {
    (this.deps.audit ?? noAudit).record({ ...event, ip: client.ip, userAgent: client.userAgent });
  }
}

function usableEmail(email: string | undefined): string | undefined {
  if (typeof email !== 'string' || !isRegistrableEmail(email)) return undefined;
  return normalizeEmail(email);
}

/** A name register would accept (2–100 characters): the provider's, else the email's local part. */
function displayName(identity: ProviderIdentity, email: string): string {
  const candidates = [identity.name?.trim(), email.split('@')[0]];
  const name = candidates.find((candidate) => candidate !== undefined && [...candidate].length >= 2);
  return [...(name ?? 'New user')].slice(0, 100).join('');
}

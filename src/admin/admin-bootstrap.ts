// The first admin (`npm run admin:create`): create an ADMIN, or promote and enable an existing user.
// Idempotent: running it again changes nothing. An existing user's password is never changed.
import { noAudit, type AuditLog } from '../audit/audit-event';
import { parseEmail, parseRegisterInput } from '../auth/auth.validation';
import type { PasswordHasher } from '../auth/password';
import { BadUserInputError, ConflictError } from '../errors';
import type { SessionStore } from '../sessions/session-store';
import type { UserRecord, UserRepository } from '../users/user';
import type { UserAdminRepository } from './user-admin';

export type BootstrapOutcome = 'created' | 'promoted' | 'unchanged';

export interface BootstrapDeps {
  users: UserRepository;
  admin: UserAdminRepository;
  hasher: PasswordHasher;
  /** Absent when sessions live in a server's memory (dev mode): they cannot be revoked from here. */
  sessions?: SessionStore;
  audit?: AuditLog;
}

export async function ensureAdmin(
  deps: BootstrapDeps,
  input: { email: string; name: string; password: string | undefined },
): Promise<{ outcome: BootstrapOutcome; user: UserRecord }> {
  // Validated before the lookup: PostgreSQL refuses some strings (NUL) outright.
  let user = await deps.users.findByEmail(parseEmail(input.email));
  if (!user) {
    if (!input.password) throw new BadUserInputError([{ field: 'password', message: 'is required to create a new admin' }]);
    const data = parseRegisterInput({ email: input.email, name: input.name, password: input.password });
    try {
      user = await deps.users.create({ email: data.email, name: data.name, passwordHash: await deps.hasher.hash(data.password) });
      return { outcome: 'created', user: await promote(deps, user, 'created') };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      user = await deps.users.findByEmail(data.email); // created meanwhile: promote it instead
      if (!user) throw error;
    }
  }
  if (user.role === 'ADMIN' && user.active) return { outcome: 'unchanged', user };
  return { outcome: 'promoted', user: await promote(deps, user, 'promoted') };
}

async function promote(deps: BootstrapDeps, user: UserRecord, how: 'created' | 'promoted'): Promise<UserRecord> {
  let written = user;
  for (const write of [() => deps.admin.setRole(user.id, 'ADMIN'), () => deps.admin.setActive(user.id, true)]) {
    const result = await write();
    if (result.outcome !== 'updated') throw new Error(`could not promote ${user.email}: ${result.outcome}`);
    written = result.user;
  }
  // Like every role change: no token carries the old role.
  await deps.sessions?.revokeAll(user.id);
  (deps.audit ?? noAudit).record({ type: 'ROLE_CHANGED', outcome: 'SUCCESS', userId: user.id, reason: `${user.role}->ADMIN (admin:create, ${how})` });
  return written;
}

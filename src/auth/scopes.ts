// OAuth scopes (RFC 6749 §3.3): the `scope` claim is one space-separated string (RFC 9068, RFC 8693),
// derived for users from their role through ROLE_SCOPES, the shape Apollo Router's @requiresScopes reads.
import { Role } from '../users/user';

export type RoleScopes = Readonly<Record<Role, readonly string[]>>;

export const DEFAULT_ROLE_SCOPES = 'USER=profile:read;ADMIN=profile:read admin users:read users:write';

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Parses `ROLE=scope scope;ROLE=scope` (scopes separated by spaces or commas, so a .env line needs no
 * quotes; a scope therefore holds no comma); returns the map or the problems, one line each.
 */
export function parseRoleScopes(text: string): { scopes: RoleScopes } | { problems: string[] } {
  const problems: string[] = [];
  const scopes: Record<string, readonly string[]> = Object.fromEntries(Object.values(Role).map((role) => [role, []]));
  const seen = new Set<string>();
  for (const entry of text.split(';').map((part) => part.trim()).filter(Boolean)) {
    const separator = entry.indexOf('=');
    const name = (separator < 0 ? entry : entry.slice(0, separator)).trim();
    const role = Object.values(Role).find((candidate) => candidate === name.toUpperCase());
    if (separator < 0 || !role) {
      problems.push(`"${entry}" must be ROLE=scope scope, with ROLE one of ${Object.values(Role).join(', ')}`);
      continue;
    }
    if (seen.has(role)) problems.push(`lists ${role} twice`);
    seen.add(role);
    const tokens = entry.slice(separator + 1).split(/[\s,]+/).filter(Boolean);
    for (const token of tokens) if (!SCOPE_TOKEN.test(token)) problems.push(`"${token}" is not a scope (printable ASCII without spaces, quotes or backslashes)`);
    scopes[role] = Object.freeze([...new Set(tokens)]);
  }
  return problems.length > 0 ? { problems } : { scopes: Object.freeze(scopes) };
}

/**
 * What the authorization directives need of ROLE_SCOPES: every role holds profile:read (`me`, and every
 * operation for a signed-in user), ADMIN holds admin and no other role does. Refused rather than filled
 * in: an operator who wrote the list should see what it does, not have it quietly changed.
 */
export function roleScopeProblems(scopes: RoleScopes): string[] {
  const problems: string[] = [];
  const withoutMe = Object.values(Role).filter((role) => !scopes[role].includes(PROFILE_READ_SCOPE));
  if (withoutMe.length > 0) {
    problems.push(`ROLE_SCOPES gives ${withoutMe.join(' and ')} no ${PROFILE_READ_SCOPE}, which \`me\` requires (a role left out gets no scopes): add it, like ${withoutMe.map((role) => `${role}=${PROFILE_READ_SCOPE}`).join(';')}`);
  }
  if (!scopes[Role.ADMIN].includes(ADMIN_SCOPE)) {
    problems.push(`ROLE_SCOPES gives ADMIN no ${ADMIN_SCOPE}, which ADMIN-only operations require: add it, like ADMIN=${[...scopes[Role.ADMIN], ADMIN_SCOPE].join(',')}`);
  }
  const others = Object.values(Role).filter((role) => role !== Role.ADMIN && scopes[role].includes(ADMIN_SCOPE));
  if (others.length > 0) problems.push(`ROLE_SCOPES gives ${others.join(' and ')} ${ADMIN_SCOPE}, which stands for the ADMIN role: only ADMIN may hold it`);
  return problems;
}

/** True when the scopes satisfy @requiresScopes(scopes: anyOf): every scope of at least one inner list. */
export function satisfies(granted: readonly string[], anyOf: readonly (readonly string[])[]): boolean {
  return anyOf.some((allOf) => allOf.every((scope) => granted.includes(scope)));
}

/** The scopes that admin operations accept besides the ADMIN role; the ones a machine client may be granted. */
export const Scope = {
  /** List users and see their emails. */
  USERS_READ: 'users:read',
  /** Disable and enable users. */
  USERS_WRITE: 'users:write',
  /** Read the audit log. */
  AUDIT_READ: 'audit:read',
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

export const CLIENT_SCOPES: readonly string[] = Object.values(Scope);

/**
 * What `me` requires (@requiresScopes). Every role must hold it (config) and no machine client can, so
 * it is also what every operation for a signed-in user requires: the one mark a router can see of a
 * user's token as against a client's.
 */
export const PROFILE_READ_SCOPE = 'profile:read';

/**
 * The ADMIN role as a router sees it: ROLE_SCOPES must give it to ADMIN and to no other role, and no
 * machine client can be granted it, so it holds exactly when the token's role is ADMIN.
 */
export const ADMIN_SCOPE = 'admin';

// The scopes that admin operations accept besides the ADMIN role (for machine clients, issue 6).
export const Scope = {
  /** List users and see their emails. */
  USERS_READ: 'users:read',
  /** Disable and enable users. */
  USERS_WRITE: 'users:write',
  /** Read the audit log. */
  AUDIT_READ: 'audit:read',
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

export const ALL_SCOPES: readonly string[] = Object.values(Scope);

// Audit events (issue 6): what is recorded, and the AuditLog the services write to.
import type { ClientInfo } from '../auth/auth.service';

export const AuthEventType = {
  REGISTER: 'REGISTER',
  LOGIN_SUCCEEDED: 'LOGIN_SUCCEEDED',
  LOGIN_FAILED: 'LOGIN_FAILED',
  REFRESH: 'REFRESH',
  REFRESH_REUSE_DETECTED: 'REFRESH_REUSE_DETECTED',
  LOGOUT: 'LOGOUT',
  SESSION_REVOKED: 'SESSION_REVOKED',
  PASSWORD_CHANGED: 'PASSWORD_CHANGED',
  ROLE_CHANGED: 'ROLE_CHANGED',
  USER_DISABLED: 'USER_DISABLED',
  USER_ENABLED: 'USER_ENABLED',
  CLIENT_CREATED: 'CLIENT_CREATED',
  CLIENT_SECRET_ROTATED: 'CLIENT_SECRET_ROTATED',
  CLIENT_DISABLED: 'CLIENT_DISABLED',
  CLIENT_TOKEN_ISSUED: 'CLIENT_TOKEN_ISSUED',
  CLIENT_TOKEN_REFUSED: 'CLIENT_TOKEN_REFUSED',
  ACCOUNT_LINKED: 'ACCOUNT_LINKED',
  ACCOUNT_UNLINKED: 'ACCOUNT_UNLINKED',
} as const;
export type AuthEventType = (typeof AuthEventType)[keyof typeof AuthEventType];

export const AuthEventOutcome = { SUCCESS: 'SUCCESS', FAILURE: 'FAILURE' } as const;
export type AuthEventOutcome = (typeof AuthEventOutcome)[keyof typeof AuthEventOutcome];

export interface AuthEventInput {
  type: AuthEventType;
  outcome: AuthEventOutcome;
  userId?: string | null;
  actorId?: string | null;
  clientId?: string | null;
  sessionId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  reason?: string | null;
}

export interface AuthEventRecord extends Required<{ [K in keyof AuthEventInput]: Exclude<AuthEventInput[K], undefined> }> {
  id: string;
  createdAt: Date;
}

/** Who made an admin or self-service request, for the audit log. */
export interface Actor extends ClientInfo {
  userId: string | null;
  clientId: string | null;
}

export interface AuditLog {
  /** Records in the background: never blocks or fails the operation it describes (failures are logged). */
  record(event: AuthEventInput): void;
  /** Waits for the writes in flight (shutdown, tests). */
  flush(): Promise<void>;
}

/** For tests and tools that run without an audit log. */
export const noAudit: AuditLog = { record: () => undefined, flush: async () => undefined };

import { Arg, ID, Int, Query, Resolver } from 'type-graphql';
import { Requires } from '../auth/directives';
import { Scope } from '../auth/scopes';
import { Role } from '../users/user';
import { AuthEventType } from './audit-event';
import type { AuditService } from './audit.service';
import { AuthEventConnection } from './auth-event.type';

@Resolver()
export class AuditResolver {
  constructor(private readonly audit: AuditService) {}

  @Requires(Role.ADMIN, Scope.AUDIT_READ)
  @Query(() => AuthEventConnection, { description: 'ADMIN or scope audit:read. The audit log, newest first.' })
  auditEvents(
    @Arg('first', () => Int, { nullable: true, description: '1–100, default 20.' }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('type', () => AuthEventType, { nullable: true }) type: AuthEventType | null,
    @Arg('userId', () => ID, { nullable: true }) userId: string | null,
  ): Promise<AuthEventConnection> {
    return this.audit.list({ first, after, type, userId });
  }
}

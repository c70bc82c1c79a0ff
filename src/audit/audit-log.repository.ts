// The audit log on Prisma: fire-and-forget writes, bounded so that a slow database cannot pile
// them up, and a newest-first keyset-paginated read for admins.
import type { Logger } from 'pino';
import type { Page, PageRequest } from '../common/pagination';
import { afterPosition } from '../common/pagination';
import type { PrismaClient } from '../generated/prisma/client';
import { databaseFailure } from '../infra/database-errors';
import type { AuditLog, AuthEventInput, AuthEventRecord, AuthEventType } from './audit-event';

/** Beyond this many writes in flight, new events are dropped (and logged) rather than queued. */
const MAX_IN_FLIGHT = 200;
const LIMITS = { ip: 64, userAgent: 256, reason: 200, sessionId: 64, clientId: 64 } as const;

export interface AuditFilter {
  type: AuthEventType | null;
  userId: string | null;
}

export class PrismaAuditLog implements AuditLog {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly logger: Pick<Logger, 'error' | 'warn'>,
  ) {}

  record(event: AuthEventInput): void {
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      this.logger.warn({ event: event.type }, 'audit event dropped: too many writes in flight');
      return;
    }
    const write = this.prisma.authEvent
      .create({ data: bounded(event) })
      .then(() => undefined)
      .catch((error: unknown) => this.logger.error({ err: error, event }, 'could not write audit event'))
      .finally(() => this.inFlight.delete(write));
    this.inFlight.add(write);
  }

  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  /** Newest first. */
  async list(request: PageRequest, filter: AuditFilter): Promise<Page<AuthEventRecord> & { totalCount: number }> {
    const where = { ...(filter.type ? { type: filter.type } : {}), ...(filter.userId ? { userId: filter.userId } : {}) };
    try {
      const [rows, totalCount] = await Promise.all([
        this.prisma.authEvent.findMany({
          where: { AND: [where, afterPosition(request.after, 'desc')] },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          take: request.first + 1,
        }),
        this.prisma.authEvent.count({ where }),
      ]);
      const items = rows.slice(0, request.first) as AuthEventRecord[];
      return { items, hasNextPage: rows.length > request.first, totalCount };
    } catch (error) {
      throw databaseFailure(error);
    }
  }
}

function bounded(event: AuthEventInput) {
  const cut = (value: string | null | undefined, max: number) => (value ? value.slice(0, max) : null);
  return {
    type: event.type,
    outcome: event.outcome,
    userId: event.userId ?? null,
    actorId: event.actorId ?? null,
    clientId: cut(event.clientId, LIMITS.clientId),
    sessionId: cut(event.sessionId, LIMITS.sessionId),
    ip: cut(event.ip, LIMITS.ip),
    userAgent: cut(event.userAgent, LIMITS.userAgent),
    reason: cut(event.reason, LIMITS.reason),
    createdAt: new Date(), // when it happened, not when the background write got through
  };
}

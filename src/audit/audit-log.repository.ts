// The audit log: fire-and-forget writes, batched (one multi-row INSERT per batch, so a refresh storm
// costs PostgreSQL a statement per hundred events, not one each) and bounded so that a slow database
// cannot pile them up; and a newest-first keyset-paginated read for admins (Prisma).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Page, PageRequest } from '../common/pagination';
import { afterPosition } from '../common/pagination';
import type { PrismaClient } from '../generated/prisma/client';
import { databaseFailure } from '../infra/database-errors';
import type { AuditLog, AuthEventInput, AuthEventRecord, AuthEventType } from './audit-event';

/** Events waiting or being written beyond this are dropped (and logged) rather than queued. */
const MAX_PENDING = 2_000;
/** A batch is written when it holds this many events, or this long after its first one. */
const BATCH_SIZE = 100;
const BATCH_DELAY_MS = 20;
const LIMITS = { ip: 64, userAgent: 256, reason: 200, sessionId: 64, clientId: 64 } as const;
/**
 * One statement text whatever the batch size: each column is one array parameter. Written with pg, not
 * Prisma's createMany, whose query compiler planned every new batch size afresh (about a tenth of a
 * refresh's CPU under load).
 */
const INSERT_BATCH = `INSERT INTO auth_events (id, type, outcome, user_id, actor_id, client_id, session_id, ip, user_agent, reason, created_at)
SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::uuid[], $5::uuid[], $6::varchar[], $7::varchar[], $8::varchar[], $9::varchar[], $10::varchar[], $11::timestamptz[])`;

export interface AuditFilter {
  type: AuthEventType | null;
  userId: string | null;
}

type EventRow = ReturnType<typeof bounded>;

export class PrismaAuditLog implements AuditLog {
  private batch: EventRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly writes = new Set<Promise<void>>();
  /** Events in batches being written. */
  private writing = 0;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly logger: Pick<Logger, 'error' | 'warn'>,
  ) {}

  record(event: AuthEventInput): void {
    if (this.batch.length + this.writing >= MAX_PENDING) {
      this.logger.warn({ event: event.type }, 'audit event dropped: too many writes pending');
      return;
    }
    this.batch.push(bounded(event));
    if (this.batch.length >= BATCH_SIZE) this.writeBatch();
    else this.timer ??= setTimeout(() => this.writeBatch(), BATCH_DELAY_MS).unref();
  }

  /** Writes what is waiting and resolves once every write has ended (at shutdown). */
  async flush(): Promise<void> {
    this.writeBatch();
    await Promise.all([...this.writes]);
  }

  private writeBatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.batch;
    if (rows.length === 0) return;
    this.batch = [];
    this.writing += rows.length;
    const columns = (['type', 'outcome', 'userId', 'actorId', 'clientId', 'sessionId', 'ip', 'userAgent', 'reason'] as const).map((name) => rows.map((row) => row[name]));
    const write = this.pool
      .query(INSERT_BATCH, [rows.map(() => randomUUID()), ...columns, rows.map((row) => row.createdAt.toISOString())])
      .then(() => undefined)
      .catch((error: unknown) => this.logger.error({ err: error, events: rows }, 'could not write audit events'))
      .finally(() => {
        this.writing -= rows.length;
        this.writes.delete(write);
      });
    this.writes.add(write);
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

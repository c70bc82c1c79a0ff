// auditEvents for admins: validated filters, newest-first cursor pages.
import { parsePageRequest, toConnection } from '../common/pagination';
import type { FieldError } from '../errors';
import type { AuthEventType } from './audit-event';
import type { PrismaAuditLog } from './audit-log.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class AuditService {
  constructor(private readonly log: Pick<PrismaAuditLog, 'list'>) {}

  async list(args: { first?: number | null; after?: string | null; type?: AuthEventType | null; userId?: string | null }) {
    const problems: FieldError[] = [];
    if (args.userId && !UUID.test(args.userId)) problems.push({ field: 'userId', message: 'must be a user id' });
    const request = parsePageRequest(args, problems);
    const page = await this.log.list(request, { type: args.type ?? null, userId: args.userId ?? null });
    return toConnection(page, request, page.totalCount);
  }
}

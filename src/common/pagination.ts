// Forward cursor pagination (Relay connections) over (createdAt, id) keyset order. A cursor is the
// opaque base64url of the last row's position, so pages stay stable while rows are inserted.
import { BadUserInputError, type FieldError } from '../errors';

export const PAGE_SIZE_DEFAULT = 20;
export const PAGE_SIZE_MAX = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Position {
  createdAt: Date;
  id: string;
}

export interface PageRequest {
  first: number;
  after: Position | null;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
}

export const encodeCursor = (position: Position): string =>
  Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString('base64url');

function decodeCursor(cursor: string): Position | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || typeof value[1] !== 'string') return null;
    const createdAt = new Date(value[0]);
    if (Number.isNaN(createdAt.getTime()) || !UUID.test(value[1])) return null;
    return { createdAt, id: value[1] };
  } catch {
    return null;
  }
}

/** Validates first/after; every problem is reported at once as BAD_USER_INPUT. */
export function parsePageRequest(args: { first?: number | null; after?: string | null }, extra: FieldError[] = []): PageRequest {
  const problems = [...extra];
  const first = args.first ?? PAGE_SIZE_DEFAULT;
  if (!Number.isInteger(first) || first < 1 || first > PAGE_SIZE_MAX) {
    problems.push({ field: 'first', message: `must be from 1 to ${PAGE_SIZE_MAX}` });
  }
  const after = args.after ? decodeCursor(args.after) : null;
  if (args.after && !after) problems.push({ field: 'after', message: 'is not a cursor from this list' });
  if (problems.length > 0) throw new BadUserInputError(problems);
  return { first, after };
}

/** Prisma `where` for the rows after a position in (createdAt, id) order, ascending or descending. */
export function afterPosition(after: Position | null, direction: 'asc' | 'desc' = 'asc') {
  if (!after) return {};
  const beyond = direction === 'asc' ? 'gt' : 'lt';
  return { OR: [{ createdAt: { [beyond]: after.createdAt } }, { createdAt: after.createdAt, id: { [beyond]: after.id } }] };
}

/** Turns a page into a connection: edges with cursors and Relay page info. */
export function toConnection<T extends Position>(page: Page<T>, request: PageRequest, totalCount: number) {
  const edges = page.items.map((node) => ({ cursor: encodeCursor(node), node }));
  return {
    edges,
    totalCount,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: request.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

// Sorts database failures: "cannot reach PostgreSQL" fails closed as SERVICE_UNAVAILABLE,
// everything else stays an internal error.
import { ServiceUnavailableError } from '../errors';

/** Prisma codes for an unreachable, closed, timed-out or saturated database. */
const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** SQLSTATE class 08 (connection exception), 57P0x (shutdown), 53300 (too many connections). */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-3]|53300)$/;
const UNAVAILABLE_MESSAGE = /connection terminated|timeout exceeded|query read timeout|connect(ion)? timeout|can't reach database|closed the connection|connection (was )?closed|client has encountered a connection error/i;

export function isUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 8; depth += 1) {
    const candidate = current as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
    const code = typeof candidate.code === 'string' ? candidate.code : '';
    if (UNAVAILABLE_PRISMA_CODES.has(code) || UNAVAILABLE_ERRNO.has(code) || UNAVAILABLE_SQLSTATE.test(code)) return true;
    if (candidate.name === 'PrismaClientInitializationError') return true;
    if (typeof candidate.message === 'string' && UNAVAILABLE_MESSAGE.test(candidate.message)) return true;
    current = candidate.cause;
  }
  return false;
}

export function databaseFailure(error: unknown): Error {
  if (isUnavailable(error)) return new ServiceUnavailableError('postgres', error);
  return error instanceof Error ? error : new Error(String(error));
}

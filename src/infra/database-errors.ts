// Sorts database failures by what they are: any failure to open or keep a connection to PostgreSQL
// fails closed as SERVICE_UNAVAILABLE (SPEC §13); everything else (a bad query, a bug) stays internal.
import type pg from 'pg';
import { ServiceUnavailableError } from '../errors';

/**
 * Prisma's own codes for "no usable connection": the whole P1xxx family (reach, authenticate, open the
 * database, server closed the connection), pool time-out (P2024) and too many connections (P2037).
 */
const UNAVAILABLE_PRISMA_CODE = /^(P1\d{3}|P2024|P2037)$/;
/**
 * SQLSTATEs a server only raises about the connection itself: class 08 (connection exception), 28
 * (authorization at start-up), 3D000 (no such database), 53300 (too many connections), 57P0x
 * (shutdown, crash, cannot connect now).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|28...|3D000|53300|57P0[1-5])$/;
/** What Prisma's pg adapter calls the connection-level failures it recognises. */
const UNAVAILABLE_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'DatabaseDoesNotExist',
  'DatabaseAccessDenied',
  'AuthenticationFailed',
  'TlsConnectionError',
]);
/** A FATAL or PANIC error is the server ending the session, whatever the SQLSTATE says. */
const SESSION_ENDING_SEVERITY = new Set(['FATAL', 'PANIC']);

/** Errors the pool saw while opening a connection or losing one (see trackConnectionFailures). */
const connectionFailures = new WeakSet<object>();

export function isUnavailable(error: unknown): boolean {
  return links(error).some(isConnectionFailure);
}

export function databaseFailure(error: unknown): Error {
  if (isUnavailable(error)) return new ServiceUnavailableError('postgres', error);
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Marks, on this pool, every error raised while opening a connection (connect time-out, refused, a
 * FATAL start-up reply) and every error the driver itself raises about a live connection (socket
 * gone, terminated, read time-out) rather than a server reply to a query. pg gives those no SQLSTATE,
 * so this is how they are told from a query's own failure without reading their text.
 */
export function trackConnectionFailures(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool) as (callback?: (error: Error | undefined, ...rest: unknown[]) => void) => unknown;
  (pool as { connect: unknown }).connect = (callback?: (error: Error | undefined, ...rest: unknown[]) => void) => {
    if (callback) {
      return connect((error, ...rest) => {
        if (error) mark(error);
        callback(error, ...rest);
      });
    }
    return (connect() as Promise<pg.PoolClient>).catch((error: unknown) => {
      mark(error);
      throw error;
    });
  };
  pool.on('connect', (client) => {
    client.on('error', mark); // pg's word for "this connection's socket is dead"
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const callback = args.at(-1);
      if (typeof callback === 'function') {
        args[args.length - 1] = (error: unknown, ...rest: unknown[]) => {
          if (isDriverSide(error)) mark(error);
          (callback as (...values: unknown[]) => void)(error, ...rest);
        };
        return query(...args);
      }
      const result = query(...args);
      if (result instanceof Promise) {
        return result.catch((error: unknown) => {
          if (isDriverSide(error)) mark(error);
          throw error;
        });
      }
      return result;
    };
  });
}

/**
 * A failed query's error came from the driver, not from the server, when it is a plain Error with no
 * SQLSTATE and no severity: pg raises exactly those for a connection it lost or that stopped answering,
 * while every server reply is a DatabaseError and a misuse of the API is a TypeError.
 */
function isDriverSide(error: unknown): boolean {
  if (!(error instanceof Error) || error.constructor !== Error) return false;
  const fields = error as { code?: unknown; severity?: unknown };
  return fields.code === undefined && fields.severity === undefined;
}

function mark(error: unknown): void {
  if (typeof error === 'object' && error !== null) connectionFailures.add(error);
}

interface Link {
  code?: unknown;
  originalCode?: unknown;
  severity?: unknown;
  kind?: unknown;
  name?: unknown;
  syscall?: unknown;
}

function isConnectionFailure(link: object): boolean {
  const { code, originalCode, severity, kind, name, syscall } = link as Link;
  if (connectionFailures.has(link)) return true;
  if (name === 'PrismaClientInitializationError') return true;
  if (typeof syscall === 'string') return true; // a failed system call: the socket, DNS, the network
  if (typeof severity === 'string' && SESSION_ENDING_SEVERITY.has(severity)) return true;
  if (typeof kind === 'string' && UNAVAILABLE_ADAPTER_KINDS.has(kind)) return true;
  if (typeof code === 'string' && (UNAVAILABLE_PRISMA_CODE.test(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  return typeof originalCode === 'string' && UNAVAILABLE_SQLSTATE.test(originalCode);
}

/**
 * The error and what it wraps: `cause` chains, Prisma's `meta.driverAdapterError` (the pg adapter's
 * description of the driver error) and aggregate errors, a few levels deep.
 */
function links(error: unknown): object[] {
  const found: object[] = [];
  const pending: unknown[] = [error];
  while (pending.length > 0 && found.length < 16) {
    const current = pending.shift();
    if (typeof current !== 'object' || current === null || found.includes(current)) continue;
    found.push(current);
    const candidate = current as { cause?: unknown; meta?: { driverAdapterError?: unknown }; errors?: unknown };
    pending.push(candidate.cause, candidate.meta?.driverAdapterError);
    if (Array.isArray(candidate.errors)) pending.push(...(candidate.errors as unknown[]));
  }
  return found;
}

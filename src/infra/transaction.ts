// One PostgreSQL transaction on the app's pool, for changes that must land together (a token and the
// mail that carries it). Anything thrown rolls it all back; "cannot reach PostgreSQL" becomes
// SERVICE_UNAVAILABLE. Hooks registered with afterCommit run only once COMMIT succeeded.
import type pg from 'pg';
import { databaseFailure } from './database-errors';
import { AppError } from '../errors';

export interface Tx {
  query<Row extends object = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
  afterCommit(hook: () => void): void;
}

export async function inTransaction<T>(pool: pg.Pool, work: (tx: Tx) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw databaseFailure(error);
  }
  const hooks: Array<() => void> = [];
  let broken: Error | undefined;
  // The pool stops listening to a client it hands out: a connection dying now would emit 'error' with
  // nobody listening, which ends the process. The statement in flight fails with it anyway.
  const onError = (error: Error) => (broken = error);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work({
      query: (text, values) => client.query(text, values) as never,
      afterCommit: (hook) => hooks.push(hook),
    });
    await client.query('COMMIT');
    for (const hook of hooks) hook();
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollback: unknown) => {
      broken = rollback instanceof Error ? rollback : new Error(String(rollback)); // the pool must not reuse this connection
    });
    if (error instanceof AppError) throw error;
    throw databaseFailure(error);
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

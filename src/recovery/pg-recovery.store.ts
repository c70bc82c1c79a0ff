// RecoveryStore on PostgreSQL: plain SQL in one transaction each (src/infra/transaction.ts), the mail
// queued through the same transaction. Consuming is one DELETE … RETURNING whose WHERE holds every
// condition (purpose, expiry, active user, email still the token's): of two concurrent uses exactly one
// gets the row, and a token that fails any condition is left as it was. Expiry is the database's clock.
import type pg from 'pg';
import { inTransaction, type Tx } from '../infra/transaction';
import type { Mail } from '../mail/mail';
import type { MailQueue } from '../mail/mail-queue';
import type { UserRecord } from '../users/user';
import { TokenPurpose } from './one-time-token';
import type { EmailChangeResult, NewToken, RecoveryStore } from './recovery.store';

const UPSERT_TOKEN = `
  INSERT INTO one_time_tokens (token_hash, user_id, purpose, email, expires_at)
  VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
  ON CONFLICT (user_id, purpose) DO UPDATE
    SET token_hash = EXCLUDED.token_hash, email = EXCLUDED.email, expires_at = EXCLUDED.expires_at, created_at = now()`;

/** Deletes the token if it is live and its user active (and, unless CHANGE_EMAIL, still at its address). */
const CONSUME = `
  DELETE FROM one_time_tokens t USING users u
  WHERE t.token_hash = $1 AND t.purpose = $2 AND t.expires_at > now() AND u.id = t.user_id AND u.active
    AND (t.purpose = '${TokenPurpose.CHANGE_EMAIL}' OR u.email = t.email)
    AND ($3::uuid IS NULL OR t.user_id = $3::uuid)
  RETURNING t.user_id, t.email`;

/**
 * A reset request's commit does not wait for the WAL flush: a rehearsal rolls back and flushes nothing,
 * so waiting would time known emails apart from unknown ones. The price: a request acknowledged in the
 * last fraction of a second before a PostgreSQL crash may be lost (the user asks again). Never a
 * half-done change: the token and its mail still commit, or vanish, together.
 */
const NO_FLUSH_WAIT = `SET LOCAL synchronous_commit = off`;

const USER_COLUMNS = `id, email, name, password_hash, role, active, email_verified, created_at, updated_at`;

interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  role: UserRecord['role'];
  active: boolean;
  email_verified: boolean;
  created_at: Date;
  updated_at: Date;
}

const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  email: row.email,
  name: row.name,
  passwordHash: row.password_hash,
  role: row.role,
  active: row.active,
  emailVerified: row.email_verified,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** A sentinel thrown to roll a rehearsal back. */
class Rehearsal extends Error {}

export class PgRecoveryStore implements RecoveryStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly mail: MailQueue,
  ) {}

  issue(token: NewToken, mails: Mail[]): Promise<void> {
    return inTransaction(this.pool, async (tx) => {
      if (token.purpose === TokenPurpose.RESET_PASSWORD) await tx.query(NO_FLUSH_WAIT);
      await tx.query(UPSERT_TOKEN, [token.hash, token.userId, token.purpose, token.email, token.ttl.seconds]);
      for (const mail of mails) await this.mail.enqueue(tx, mail);
    });
  }

  async rehearseIssue(): Promise<void> {
    try {
      await inTransaction(this.pool, async (tx) => {
        // Same round trips as issue(): a token write (for no user, so it touches no row) and a queued mail.
        await tx.query(NO_FLUSH_WAIT);
        await tx.query(`UPDATE one_time_tokens SET created_at = now() WHERE user_id = $1 AND purpose = $2`, ['00000000-0000-0000-0000-000000000000', TokenPurpose.RESET_PASSWORD]);
        await this.mail.enqueue(rehearsalTx(tx), { template: 'password-changed', to: 'nobody@invalid', userId: null, params: { name: '', when: '', how: 'reset' } });
        throw new Rehearsal();
      });
    } catch (error) {
      if (!(error instanceof Rehearsal)) throw error;
    }
  }

  verifyEmail(tokenHash: string, viewerId: string | null): Promise<UserRecord | null> {
    return inTransaction(this.pool, async (tx) => {
      const consumed = await this.consume(tx, tokenHash, TokenPurpose.VERIFY_EMAIL, viewerId);
      if (!consumed) return null;
      return this.updateUser(tx, consumed.user_id, 'email_verified = true');
    });
  }

  resetPassword(tokenHash: string, viewerId: string | null, passwordHash: string, notice: (user: UserRecord) => Mail): Promise<UserRecord | null> {
    return inTransaction(this.pool, async (tx) => {
      const consumed = await this.consume(tx, tokenHash, TokenPurpose.RESET_PASSWORD, viewerId);
      if (!consumed) return null;
      const { rows } = await tx.query<{ email_verified: boolean }>(`SELECT email_verified FROM users WHERE id = $1 FOR UPDATE`, [consumed.user_id]);
      if (rows[0]?.email_verified === false) {
        // Nobody had proved this address until now: whoever registered it could have added a passkey, a
        // provider account or a second factor to claim the account before its owner (pre-account
        // takeover). The owner, proving the address now, gets the account without them.
        for (const table of ['passkeys', 'linked_accounts', 'totp_factors', 'recovery_codes']) {
          await tx.query(`DELETE FROM ${table} WHERE user_id = $1`, [consumed.user_id]);
        }
      }
      const user = await this.updateUser(tx, consumed.user_id, 'password_hash = $2, email_verified = true', [passwordHash]);
      await tx.query(`DELETE FROM one_time_tokens WHERE user_id = $1`, [user.id]); // a pending email change dies with the old password
      await this.mail.enqueue(tx, notice(user));
      return user;
    });
  }

  async peekReset(tokenHash: string): Promise<string | null> {
    return inTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<{ user_id: string }>(
        `SELECT user_id FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > now()`,
        [tokenHash, TokenPurpose.RESET_PASSWORD],
      );
      return rows[0]?.user_id ?? null;
    });
  }

  async confirmEmailChange(tokenHash: string, viewerId: string | null): Promise<EmailChangeResult> {
    try {
      return await inTransaction(this.pool, async (tx): Promise<EmailChangeResult> => {
        const consumed = await this.consume(tx, tokenHash, TokenPurpose.CHANGE_EMAIL, viewerId);
        if (!consumed) return { outcome: 'invalid' };
        const { rows } = await tx.query<{ email: string }>(`SELECT email FROM users WHERE id = $1`, [consumed.user_id]);
        const user = await this.updateUser(tx, consumed.user_id, 'email = $2, email_verified = true', [consumed.email]);
        // Links sent to the old address die with it.
        await tx.query(`DELETE FROM one_time_tokens WHERE user_id = $1`, [user.id]);
        return { outcome: 'changed', user, previousEmail: rows[0]!.email };
      });
    } catch (error) {
      // The address was taken (users_email_key): the whole transaction rolled back, the token included.
      if ((error as { code?: unknown }).code === '23505') return { outcome: 'conflict' };
      throw error;
    }
  }

  changePassword(userId: string, passwordHash: string, notice: Mail): Promise<void> {
    return inTransaction(this.pool, async (tx) => {
      await this.updateUser(tx, userId, 'password_hash = $2', [passwordHash]);
      await this.mail.enqueue(tx, notice);
    });
  }

  private async consume(tx: Tx, tokenHash: string, purpose: string, viewerId: string | null): Promise<{ user_id: string; email: string } | undefined> {
    const { rows } = await tx.query<{ user_id: string; email: string }>(CONSUME, [tokenHash, purpose, viewerId]);
    return rows[0];
  }

  private async updateUser(tx: Tx, userId: string, set: string, values: unknown[] = []): Promise<UserRecord> {
    const { rows } = await tx.query<UserRow>(`UPDATE users SET ${set}, updated_at = now() WHERE id = $1 RETURNING ${USER_COLUMNS}`, [userId, ...values]);
    return toUser(rows[0]!);
  }
}

/** The rehearsal's mail must not wake the worker: it never commits. */
const rehearsalTx = (tx: Tx): Tx => ({ query: (text, values) => tx.query(text, values), afterCommit: () => undefined });

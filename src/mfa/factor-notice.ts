// The one place a change to a user's sign-in factors is told to the user: createApp passes a
// MailFactorNotifier, which queues a notice mail (SPEC §10's queue) after the change is made.
import type pg from 'pg';
import type { Logger } from 'pino';
import { inTransaction } from '../infra/transaction';
import type { MailQueue } from '../mail/mail-queue';
import type { SignInFactorChange } from '../mail/templates/sign-in-factor-changed';
import type { UserRecord } from '../users/user';

export type FactorChange = SignInFactorChange;

export interface FactorNotifier {
  factorChanged(user: Pick<UserRecord, 'id' | 'email' | 'name'>, change: FactorChange): Promise<void>;
}

/** Best effort: the change is made and audited whether or not the notice can be sent. */
export function notifyFactorChange(
  notifier: FactorNotifier | undefined,
  logger: Pick<Logger, 'warn'>,
  user: Pick<UserRecord, 'id' | 'email' | 'name'>,
  change: FactorChange,
): void {
  notifier?.factorChanged(user, change).catch((error: unknown) => logger.warn({ err: error, userId: user.id, change }, 'could not send a factor change notice'));
}

/** Queues the "your sign-in changed" notice; the change itself is already committed. */
export class MailFactorNotifier implements FactorNotifier {
  constructor(
    private readonly pool: pg.Pool,
    private readonly queue: MailQueue,
  ) {}

  factorChanged(user: Pick<UserRecord, 'id' | 'email' | 'name'>, change: FactorChange): Promise<void> {
    const when = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    return inTransaction(this.pool, (tx) =>
      this.queue.enqueue(tx, { template: 'sign-in-factor-changed', to: user.email, userId: user.id, params: { name: user.name, when, change } }),
    );
  }
}

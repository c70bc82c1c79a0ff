// The one place a change to a user's sign-in factors is told to the user. No mail component exists on
// this branch yet (issue 11): when it does, createApp passes a FactorNotifier that queues a notice mail.
import type { Logger } from 'pino';
import type { UserRecord } from '../users/user';

export type FactorChange = 'TOTP_ENABLED' | 'TOTP_DISABLED' | 'TOTP_RESET_BY_ADMIN' | 'RECOVERY_CODES_REGENERATED' | 'PASSKEY_ADDED' | 'PASSKEY_REMOVED';

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

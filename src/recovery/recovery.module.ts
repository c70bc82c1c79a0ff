// Builds the account-recovery services (SPEC §10) on PostgreSQL and the mail queue.
import { PgRecoveryStore } from './pg-recovery.store';
import { EmailChangeService } from './email-change.service';
import { EmailVerificationService } from './email-verification.service';
import { PasswordResetService } from './password-reset.service';
import type { RecoveryDeps } from './recovery.deps';
import type { RecoveryStore } from './recovery.store';
import type { RecoveryServices } from './recovery.resolver';
import type pg from 'pg';
import type { MailQueue } from '../mail/mail-queue';

export function createRecovery(
  pool: pg.Pool,
  mail: MailQueue,
  { wrapStore = (store) => store, ...deps }: Omit<RecoveryDeps, 'store'> & { wrapStore?: ((store: RecoveryStore) => RecoveryStore) | undefined },
): RecoveryServices {
  const all: RecoveryDeps = { ...deps, store: wrapStore(new PgRecoveryStore(pool, mail)) };
  return {
    verification: new EmailVerificationService(all),
    reset: new PasswordResetService(all),
    emailChange: new EmailChangeService(all),
  };
}

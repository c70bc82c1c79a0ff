// Builds mail delivery for one instance: the transport (SMTP, or the dev mailbox), the sealed payloads,
// and the pg-boss queue with its worker. createApp starts it and stops it with the app.
import path from 'node:path';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-event';
import type { SigningKey } from '../auth/keys';
import type { DataCipher } from '../crypto/data-cipher';
import type { MailConfig } from '../config/mail.config';
import type { Database } from '../infra/database';
import { DevMailbox } from './dev-mailbox.transport';
import type { MailTransport } from './mail';
import { PgBossMailQueue } from './mail-queue';
import { MailSender } from './mail-sender';
import { MailPayloadCipher } from './payload-cipher';
import { SmtpTransport } from './smtp.transport';

export interface MailModule {
  readonly queue: PgBossMailQueue;
  start(): Promise<void>;
  /** Finishes (or, past 5 s, leaves for a retry) the mail in flight; the database closes after this. */
  stop(): Promise<void>;
}

export function createMail(settings: MailConfig, deps: { database: Database; dataCipher: DataCipher; refreshKey: SigningKey; logger: Logger; audit: AuditLog }): MailModule {
  const transport: MailTransport = settings.smtpUrl
    ? new SmtpTransport(settings.smtpUrl, settings.from)
    : new DevMailbox(path.resolve(settings.devMailboxDir), settings.from, deps.logger);
  const cipher = new MailPayloadCipher(deps.dataCipher, deps.refreshKey);
  const sender = new MailSender({ transport, cipher, logger: deps.logger, audit: deps.audit });
  const queue = new PgBossMailQueue({
    url: deps.database.url,
    connections: deps.database.kind === 'embedded' ? 1 : 2,
    settings,
    cipher,
    sender,
    logger: deps.logger,
  });
  return {
    queue,
    start: () => queue.start(),
    async stop() {
      await queue.stop();
      transport.close();
    },
  };
}

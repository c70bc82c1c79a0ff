// One delivery attempt of one queued mail: open the sealed payload, render, hand to the transport,
// and say what the queue should do next. Permanent refusals and the last failed attempt are logged
// and audited (MAIL_FAILED). Nothing here logs a link or a token.
import type { Logger } from 'pino';
import { noAudit, type AuditLog } from '../audit/audit-event';
import { MailDeliveryError, type Mail, type MailTransport, type RenderedMail } from './mail';
import type { MailPayloadCipher } from './payload-cipher';
import { templates } from './templates';

/** What a queued job holds: the mail sealed, and in clear only what the audit needs. */
export interface QueuedMail {
  template: Mail['template'];
  userId: string | null;
  sealed: string;
}

export interface Attempt {
  /** 1 for the first try. */
  number: number;
  /** The last one the queue will make. */
  last: boolean;
}

export type Outcome = 'sent' | 'retry' | 'failed';

export function render(mail: Mail): RenderedMail {
  const rendered = (templates[mail.template] as (params: Mail['params']) => Omit<RenderedMail, 'to'>)(mail.params);
  return { ...rendered, to: mail.to };
}

export class MailSender {
  constructor(
    private readonly deps: { transport: MailTransport; cipher: MailPayloadCipher; logger: Pick<Logger, 'warn' | 'error'>; audit?: AuditLog },
  ) {}

  async attempt(job: QueuedMail, attempt: Attempt): Promise<Outcome> {
    let mail: Mail;
    try {
      mail = this.deps.cipher.open(job.sealed);
    } catch (error) {
      return this.failed(job, attempt, 'payload cannot be opened (was the refresh signing key replaced?)', error);
    }
    try {
      await this.deps.transport.send(render(mail));
      return 'sent';
    } catch (error) {
      const delivery = error instanceof MailDeliveryError ? error : new MailDeliveryError('transport error', false, { cause: error });
      if (delivery.permanent) return this.failed(job, attempt, `refused: ${delivery.message}`, error);
      if (attempt.last) return this.failed(job, attempt, `gave up after ${attempt.number} attempts: ${delivery.message}`, error);
      this.deps.logger.warn({ template: job.template, userId: job.userId, attempt: attempt.number, reason: delivery.message }, 'mail not delivered yet: will retry');
      return 'retry';
    }
  }

  private failed(job: QueuedMail, attempt: Attempt, reason: string, error: unknown): Outcome {
    const cause = error instanceof MailDeliveryError ? error.cause : error;
    this.deps.logger.error(
      { template: job.template, userId: job.userId, attempt: attempt.number, reason, err: cause instanceof Error ? { message: cause.message, code: (cause as { code?: unknown }).code } : undefined },
      'mail failed for good',
    );
    (this.deps.audit ?? noAudit).record({ type: 'MAIL_FAILED', outcome: 'FAILURE', userId: job.userId, reason: `${job.template}: ${reason}` });
    return 'failed';
  }
}

// What a mail is, from the moment a change queues it to the moment a transport hands it over.
import type { MailParams } from './templates';

export type { MailParams } from './templates';
export type MailTemplate = keyof MailParams;

/** A mail to send: which template, to whom, with what. `userId` names the account it concerns (audit). */
export type Mail = { [K in MailTemplate]: { template: K; to: string; userId: string | null; params: MailParams[K] } }[MailTemplate];

/** A mail ready for a transport: the template applied. `link` is kept apart for the dev mailbox's log line. */
export interface RenderedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  link: string | undefined;
}

/** Hands rendered mail to the world: SMTP, or the dev mailbox on disk. */
export interface MailTransport {
  /** Throws MailDeliveryError; `permanent` when retrying cannot help (an SMTP 5xx refusal). */
  send(mail: RenderedMail): Promise<void>;
  close(): void;
}

export class MailDeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MailDeliveryError';
  }
}

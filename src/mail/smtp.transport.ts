// Mail over SMTP (SMTP_URL) with nodemailer. A 5xx answer is a permanent refusal; anything else
// (connection refused, time-out, 4xx) is worth retrying. Decided by the SMTP reply code, not by text.
import nodemailer, { type Transporter } from 'nodemailer';
import { MailDeliveryError, type MailTransport, type RenderedMail } from './mail';

/** Well under the queue's 2-minute lease: a hung server cannot keep a mail claimed past it. */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

export class SmtpTransport implements MailTransport {
  private readonly transporter: Transporter;

  constructor(smtpUrl: string, from: string) {
    // No logger and no debug: nodemailer would otherwise print message bodies, links included.
    this.transporter = nodemailer.createTransport({ url: smtpUrl, ...TIMEOUTS, logger: false, debug: false } as never, { from });
  }

  async send(mail: RenderedMail): Promise<void> {
    try {
      await this.transporter.sendMail({ to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
    } catch (error) {
      const responseCode = (error as { responseCode?: unknown }).responseCode;
      const permanent = typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600;
      const code = (error as { code?: unknown }).code;
      const what = typeof responseCode === 'number' ? `SMTP ${responseCode}` : typeof code === 'string' ? code : 'SMTP error';
      throw new MailDeliveryError(what, permanent, { cause: error });
    }
  }

  close(): void {
    this.transporter.close();
  }
}

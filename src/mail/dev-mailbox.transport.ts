// The dev mailbox (SPEC §10): without SMTP_URL outside production, each mail becomes an .eml file
// under DATA_DIR/mail/ and one log line with its link, so `npm start` alone can click through every
// flow. Never used in production (config refuses production without SMTP_URL).
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { MailDeliveryError, type MailTransport, type RenderedMail } from './mail';

export class DevMailbox implements MailTransport {
  private readonly composer: Transporter;

  constructor(
    private readonly dir: string,
    from: string,
    private readonly logger: Pick<Logger, 'info'>,
  ) {
    this.composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' }, { from });
  }

  async send(mail: RenderedMail): Promise<void> {
    try {
      const info = (await this.composer.sendMail({ to: mail.to, subject: mail.subject, text: mail.text, html: mail.html })) as { message: Buffer };
      await mkdir(this.dir, { recursive: true });
      const file = path.join(this.dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.eml`);
      await writeFile(file, info.message);
      this.logger.info({ to: mail.to, file, link: mail.link }, `dev mailbox: "${mail.subject}" to ${mail.to}${mail.link ? ` → ${mail.link}` : ''}`);
    } catch (error) {
      throw new MailDeliveryError('could not write to the dev mailbox', false, { cause: error });
    }
  }

  close(): void {
    this.composer.close();
  }
}

// A real SMTP server in the test process (nodemailer's smtp-server) and what arrived, parsed with
// mailparser: tests read mails and follow their links as a user would. It can be taken down (connections
// refused) and brought back on the same port, or made to refuse recipients with a 5xx.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The token of the first link in the text part, if any. */
  token: string | undefined;
  link: string | undefined;
  parsed: ParsedMail;
}

export interface Mailbox {
  readonly url: string;
  readonly received: ReceivedMail[];
  /** RCPT TO answered with this code (like 550) until set to undefined. */
  refuseWith: number | undefined;
  /** The message is accepted this long after it arrived (a slow server). */
  delayMs: number;
  /** Waits for a mail matching `match` (to an address, by default) that arrived since `after` mails. */
  waitFor(match: string | ((mail: ReceivedMail) => boolean), options?: { timeoutMs?: number }): Promise<ReceivedMail>;
  /** Mails to this address so far. */
  to(address: string): ReceivedMail[];
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
  /** SMTP transactions attempted (RCPT TO commands seen), refused ones included. */
  readonly attempts: number;
  /** The RCPT TO address of each of those attempts. */
  readonly recipients: string[];
}

export async function startMailbox(): Promise<Mailbox> {
  const received: ReceivedMail[] = [];
  const box = {
    refuseWith: undefined as number | undefined,
    delayMs: 0,
    attempts: 0,
    recipients: [] as string[],
  };
  const create = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        box.attempts += 1;
        box.recipients.push(address.address);
        if (box.refuseWith) return callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: box.refuseWith }));
        callback();
      },
      onData(stream, _session, callback) {
        simpleParser(stream)
          .then(async (parsed) => {
            if (box.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, box.delayMs));
            const text = parsed.text ?? '';
            const link = /https?:\/\/\S+/.exec(text)?.[0];
            const token = link ? (new URL(link).searchParams.get('token') ?? undefined) : undefined;
            const to = Array.isArray(parsed.to) ? parsed.to[0]?.text : parsed.to?.text;
            received.push({ to: to ?? '', subject: parsed.subject ?? '', text, html: typeof parsed.html === 'string' ? parsed.html : '', token, link, parsed });
            callback();
          })
          .catch(callback);
      },
    });
  let server = create();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  let running = true;
  const down = async () => {
    if (!running) return;
    running = false;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return Object.assign(box, {
    url: `smtp://127.0.0.1:${port}`,
    received,
    to: (address: string) => received.filter((mail) => mail.to === address),
    async waitFor(match: string | ((mail: ReceivedMail) => boolean), options: { timeoutMs?: number } = {}) {
      const test = typeof match === 'string' ? (mail: ReceivedMail) => mail.to === match : match;
      const deadline = Date.now() + (options.timeoutMs ?? 10_000);
      for (;;) {
        const found = received.find(test);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no mail matching ${String(match)} within ${options.timeoutMs ?? 10_000} ms (got ${received.length})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    down,
    async up() {
      if (running) return;
      server = create();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      running = true;
    },
    close: down,
  });
}

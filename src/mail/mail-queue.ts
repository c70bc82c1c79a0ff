// The durable mail queue (SPEC §10) on pg-boss: a job row in PostgreSQL, written in the same
// transaction as the change that causes the mail, and a worker in every instance that claims jobs
// (SKIP LOCKED, with a 2-minute lease) so two instances never send one mail at once. Retries back off
// exponentially (MAIL_RETRY_DELAY doubling, MAIL_MAX_ATTEMPTS in all ≈ a day); a permanent refusal
// ends the job at once. The retry policy is set on each job by the instance that queues it.
// Why pg-boss and not a hand-written queue: docs/mail.md.
import { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { MailConfig } from '../config/mail.config';
import type { Tx } from '../infra/transaction';
import type { Mail } from './mail';
import type { MailSender, QueuedMail } from './mail-sender';
import type { MailPayloadCipher } from './payload-cipher';

/** How other parts send mail: `enqueue` inside the transaction of the change the mail is about. */
export interface MailQueue {
  enqueue(tx: Tx, mail: Mail): Promise<void>;
}

export const MAIL_QUEUE = 'mail';
/** A claimed mail is another instance's to retry only after this (an instance that died mid-send). */
const LEASE_SECONDS = 120;
/** Shutdown waits this long for mail in flight; what is still running is retried after its lease. */
const STOP_TIMEOUT_MS = 5_000;
/** Mails claimed and sent at once by one worker; a full batch fetches the next at once (a backlog drains fast). */
const BATCH_SIZE = 5;
/** Sent and failed jobs are kept this long (payloads are sealed), then pg-boss deletes them. */
const KEEP_SECONDS = 7 * 24 * 3_600;

export interface PgBossMailQueueDeps {
  /** The app's PostgreSQL (the embedded server's local URL in dev mode). */
  url: string;
  /** Connections of pg-boss's own pool: 1 on the embedded server, which has a single spare one. */
  connections: number;
  settings: Pick<MailConfig, 'maxAttempts' | 'retryDelay' | 'pollInterval'>;
  cipher: MailPayloadCipher;
  sender: MailSender;
  logger: Pick<Logger, 'warn' | 'error' | 'info'>;
}

export class PgBossMailQueue implements MailQueue {
  private readonly boss: PgBoss;
  private workerId: string | undefined;
  private lastErrorLogMs = 0;
  private stopped = false;
  private readonly policy: { retryLimit: number; retryDelay: number; retryBackoff: true; expireInSeconds: number; deleteAfterSeconds: number };

  constructor(private readonly deps: PgBossMailQueueDeps) {
    this.boss = new PgBoss({
      connectionString: deps.url,
      max: deps.connections,
      schedule: false, // no cron jobs here; maintenance (expiry, retention) still runs
      migrate: true,
    });
    this.policy = {
      retryLimit: deps.settings.maxAttempts - 1,
      retryDelay: deps.settings.retryDelay.seconds,
      retryBackoff: true,
      expireInSeconds: LEASE_SECONDS,
      deleteAfterSeconds: KEEP_SECONDS,
    };
    // pg-boss reports its background failures (PostgreSQL down) here; it keeps polling and recovers.
    this.boss.on('error', (error: Error) => this.logError(error));
  }

  async enqueue(tx: Tx, mail: Mail): Promise<void> {
    const job: QueuedMail = { template: mail.template, userId: mail.userId, sealed: this.deps.cipher.seal(mail) };
    // The retry policy travels with the job: instances configured differently never rewrite each other's.
    const id = await this.boss.send(MAIL_QUEUE, job, { ...this.policy, db: { executeSql: (text, values) => tx.query(text, values) } });
    if (!id) throw new Error('the mail queue did not accept the mail');
    tx.afterCommit(() => this.wake());
  }

  /** Creates pg-boss's schema and the queue if missing, then starts the worker. */
  async start(): Promise<void> {
    await this.boss.start();
    if (!(await this.boss.getQueue(MAIL_QUEUE))) await this.boss.createQueue(MAIL_QUEUE, this.policy);
    const options = {
      batchSize: BATCH_SIZE,
      burstWhenBatchFull: true,
      includeMetadata: true,
      perJobResults: true,
      pollingIntervalSeconds: Math.max(0.5, this.deps.settings.pollInterval.seconds),
    } as const;
    this.workerId = await this.boss.work<QueuedMail, unknown, typeof options>(
      MAIL_QUEUE,
      options,
      async (jobs) =>
        Promise.all(
          jobs.map(async (job) => {
            const outcome = await this.deps.sender.attempt(job.data, { number: job.retryCount + 1, last: job.retryCount >= job.retryLimit });
            const status = outcome === 'sent' ? 'completed' : outcome === 'retry' ? 'failed' : 'deadletter';
            return { id: job.id, status } as const;
          }),
        ),
    );
  }

  /** Mails not yet delivered: waiting (retries included) or being sent, as pg-boss last counted them. */
  async depth(): Promise<number> {
    const queue = await this.boss.getQueue(MAIL_QUEUE);
    return queue ? queue.queuedCount + queue.activeCount : 0;
  }

  /** Looks for mail now rather than at the next poll (after this instance queued some). */
  wake(): void {
    if (this.workerId) this.boss.notifyWorker(this.workerId);
  }

  /** Stops claiming, waits up to 5 s for mail in flight, closes pg-boss's pool. Once: a stopped queue stays stopped. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.workerId = undefined;
    await this.boss.stop({ graceful: true, timeout: STOP_TIMEOUT_MS, close: true });
  }

  /** At most one line per 10 s: an outage must not flood the log. */
  private logError(error: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLogMs < 10_000) return;
    this.lastErrorLogMs = now;
    this.deps.logger.warn({ err: { message: error.message, code: (error as { code?: unknown }).code } }, 'mail queue: PostgreSQL error (retrying)');
  }
}

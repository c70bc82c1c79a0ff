// The service's Prometheus metrics (SPEC §13): one registry per app, so several apps in one process
// (the tests) never mix their counts. Every label takes a bounded set of values.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type LoginOutcome = 'success' | 'invalid_credentials' | 'rate_limited' | 'disabled' | 'email_not_verified';
export type RefreshOutcome = 'rotated' | 'reused' | 'invalid' | 'rate_limited';
export type RateLimitName = 'login' | 'register' | 'refresh' | 'password_reset' | 'account_mail' | 'link_token';
export type RevocationReason = 'logout' | 'logout_all' | 'user_revoked' | 'reuse_detected' | 'password_changed' | 'password_reset' | 'mfa_changed' | 'user_disabled';
export type Dependency = 'postgres' | 'redis';

/** Distinct operation names kept as label values per operation type; the rest count as "other". */
const MAX_OPERATION_NAMES = 100;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const DEPENDENCY_CHECK_TIMEOUT_MS = 1_000;

export interface MetricsSources {
  /** Each answers (resolves) while its dependency is reachable; checked at every scrape. */
  dependencies: Record<Dependency, () => Promise<void>>;
  /** Mail jobs not yet delivered (waiting, retrying or being sent); the gauge is absent without it. */
  mailQueueDepth?: () => Promise<number>;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly logins = new Counter({ name: 'portcullis_logins_total', help: 'Login attempts by outcome.', labelNames: ['outcome'], registers: [this.registry] });
  private readonly refreshes = new Counter({ name: 'portcullis_refreshes_total', help: 'Refresh attempts by outcome.', labelNames: ['outcome'], registers: [this.registry] });
  private readonly rateLimitedTotal = new Counter({ name: 'portcullis_rate_limited_total', help: 'Requests refused by an abuse limit.', labelNames: ['limit'], registers: [this.registry] });
  private readonly revoked = new Counter({ name: 'portcullis_sessions_revoked_total', help: 'Session revocations by reason.', labelNames: ['reason'], registers: [this.registry] });
  private readonly duration = new Histogram({
    name: 'portcullis_graphql_request_duration_seconds',
    help: 'GraphQL request duration by operation (names beyond the first 100 per type count as "other").',
    labelNames: ['operation_type', 'operation_name'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly names = new Map<string, Set<string>>();

  constructor(sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'portcullis_dependency_up',
      help: '1 while the dependency answers, 0 when it does not (checked at each scrape).',
      labelNames: ['dependency'],
      registers: [this.registry],
      async collect() {
        const checks = Object.entries(sources.dependencies).map(async ([dependency, check]) => {
          this.set({ dependency }, (await answers(check)) ? 1 : 0);
        });
        await Promise.all(checks);
      },
    });
    const depth = sources.mailQueueDepth;
    if (depth) {
      new Gauge({
        name: 'portcullis_mail_queue_depth',
        help: 'Mail jobs waiting to be sent.',
        registers: [this.registry],
        async collect() {
          // PostgreSQL down: NaN ("unknown") rather than a failed scrape; dependency_up says why.
          this.set(await depth().catch(() => Number.NaN));
        },
      });
    }
  }

  login(outcome: LoginOutcome): void {
    this.logins.inc({ outcome });
  }

  refresh(outcome: RefreshOutcome): void {
    this.refreshes.inc({ outcome });
  }

  rateLimited(limit: RateLimitName): void {
    this.rateLimitedTotal.inc({ limit });
  }

  sessionRevoked(reason: RevocationReason): void {
    this.revoked.inc({ reason });
  }

  graphqlRequest(operationType: string, operationName: string | null | undefined, seconds: number): void {
    this.duration.observe({ operation_type: operationType, operation_name: this.boundedName(operationType, operationName) }, seconds);
  }

  /** Client-chosen names are label values only while they look like names and there are few of them. */
  private boundedName(type: string, name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return 'other';
    const seen = this.names.get(type) ?? new Set<string>();
    this.names.set(type, seen);
    if (seen.has(name)) return name;
    if (seen.size >= MAX_OPERATION_NAMES) return 'other';
    seen.add(name);
    return name;
  }
}

async function answers(check: () => Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), DEPENDENCY_CHECK_TIMEOUT_MS)));
  try {
    return await Promise.race([check().then(() => true as const), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

// Prometheus metrics (SPEC §13): on METRICS_PORT only, never on the public port, off when unset; and a
// real Prometheus (Debian's) scraping them with the committed config answers PromQL with values that
// move as logins, refreshes, limits and revocations happen.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { LOGIN, LOGOUT, REFRESH, registerUser } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';
import { freePort, until } from '../helpers/waiting';

const PROMETHEUS = '/usr/bin/prometheus';
const ROOT = path.resolve(__dirname, '..', '..');
const servers: TestServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
  await releaseTestResources();
});

async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const created = await createTestServer({ env });
  servers.push(created);
  return created;
}

describe('the metrics listener', () => {
  it('is off when METRICS_PORT is unset, and the public port never serves /metrics', async () => {
    const plain = await server();
    expect(plain.metricsUrl).toBeUndefined();
    expect((await fetch(new URL('/metrics', plain.origin))).status).toBe(404);
  });

  it('serves the SPEC §13 metrics and process metrics in Prometheus text on its own port, and nothing else there', async () => {
    const metered = await server({ METRICS_PORT: '0' });
    expect(new URL(metered.metricsUrl!).port).not.toBe(new URL(metered.origin).port);
    expect((await fetch(new URL('/metrics', metered.origin))).status).toBe(404);
    expect((await fetch(new URL('/graphql', metered.metricsUrl))).status).toBe(404);

    await registerUser(metered);
    const response = await fetch(metered.metricsUrl!);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of [
      'portcullis_logins_total',
      'portcullis_refreshes_total',
      'portcullis_rate_limited_total',
      'portcullis_sessions_revoked_total',
      'portcullis_graphql_request_duration_seconds',
      'portcullis_dependency_up',
      'portcullis_mail_queue_depth',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('portcullis_dependency_up{dependency="postgres"} 1');
    expect(text).toContain('portcullis_dependency_up{dependency="redis"} 1');
    expect(text).toMatch(/^portcullis_mail_queue_depth \d+$/m);
    expect(text).toMatch(/portcullis_graphql_request_duration_seconds_count\{operation_type="mutation",operation_name="Register"\} 1/);
  });

  it('keeps operation names bounded: past 100 distinct names per type, the rest count as "other"', async () => {
    const metered = await server({ METRICS_PORT: '0' });
    for (let index = 0; index < 105; index += 1) await metered.gql(`query Probe${index} { __typename }`);
    await metered.gql('query { __typename }');
    const text = await (await fetch(metered.metricsUrl!)).text();
    const names = [...text.matchAll(/duration_seconds_count\{operation_type="query",operation_name="([^"]+)"\}/g)].map((match) => match[1]);
    expect(names.filter((name) => name!.startsWith('Probe'))).toHaveLength(100);
    expect(text).toContain('duration_seconds_count{operation_type="query",operation_name="other"} 5');
    expect(text).toContain('duration_seconds_count{operation_type="query",operation_name="anonymous"} 1');
  });
});

const describeWithPrometheus = existsSync(PROMETHEUS) ? describe : describe.skip;
if (!existsSync(PROMETHEUS)) console.log(`metrics: the Prometheus test is skipped, ${PROMETHEUS} is missing (apt-get install prometheus)`);

describeWithPrometheus('a real Prometheus scraping the service', () => {
  let metered: TestServer;
  let prometheus: ChildProcess;
  let api: string;
  let dataDir: string;

  beforeAll(async () => {
    metered = await server({ METRICS_PORT: '0', RATE_LIMIT_REFRESH_PER_IP: '3' });
    dataDir = mkdtempSync(path.join(tmpdir(), 'portcullis-prometheus-'));
    // The committed scrape config, pointed at this test's listener and scraping every second.
    const config = parse(readFileSync(path.join(ROOT, 'deploy', 'prometheus.yml'), 'utf8')) as {
      global: Record<string, string>;
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
    };
    config.global.scrape_interval = '1s';
    config.scrape_configs[0]!.static_configs[0]!.targets = [new URL(metered.metricsUrl!).host];
    writeFileSync(path.join(dataDir, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [`--config.file=${path.join(dataDir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dataDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: 'ignore' },
    );
    await until(async () => (await fetch(`${api}/-/ready`).catch(() => undefined))?.ok === true, 20_000, 250);
  }, 40_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The value of a PromQL expression (one series), or undefined while it has none. */
  async function query(expression: string): Promise<number | undefined> {
    const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expression)}`);
    const body = (await response.json()) as { status: string; data: { result: Array<{ value: [number, string] }> } };
    expect(body.status).toBe('success');
    const [first] = body.data.result;
    return first ? Number(first.value[1]) : undefined;
  }

  async function expectQuery(expression: string, expected: number): Promise<void> {
    let last: number | undefined;
    await until(async () => (last = await query(expression)) === expected, 15_000, 250).catch(() => {
      throw new Error(`${expression} was ${last}, expected ${expected}`);
    });
  }

  it('answers PromQL with values that move as logins, refreshes, limits and revocations happen', async () => {
    await expectQuery('up{job="portcullis"}', 1);
    await expectQuery('portcullis_dependency_up{dependency="postgres"}', 1);
    expect(await query('process_resident_memory_bytes{job="portcullis"}')).toBeGreaterThan(10_000_000);

    const account = await registerUser(metered);
    const input = { email: account.input.email, password: account.input.password };
    await metered.gql(LOGIN, { input });
    await metered.gql(LOGIN, { input });
    await metered.gql(LOGIN, { input: { ...input, password: 'not the password at all' } });
    await expectQuery('portcullis_logins_total{outcome="success"}', 2);
    await expectQuery('portcullis_logins_total{outcome="invalid_credentials"}', 1);
    await expectQuery('portcullis_graphql_request_duration_seconds_count{operation_type="mutation",operation_name="Login"}', 3);

    const rotated = await metered.gql(REFRESH, { refreshToken: account.refreshToken });
    expect(rotated.errors).toBeUndefined();
    await expectQuery('portcullis_refreshes_total{outcome="rotated"}', 1);
    // Reuse revokes the session: a refresh outcome and a revocation.
    await metered.gql(REFRESH, { refreshToken: account.refreshToken });
    await expectQuery('portcullis_refreshes_total{outcome="reused"}', 1);
    await expectQuery('portcullis_sessions_revoked_total{reason="reuse_detected"}', 1);
    // Two forged tokens: three failures in all, so the next refresh from this IP is refused by the limit.
    await metered.gql(REFRESH, { refreshToken: 'forged.1.token' });
    await metered.gql(REFRESH, { refreshToken: 'forged.2.token' });
    await metered.gql(REFRESH, { refreshToken: 'forged.3.token' });
    await expectQuery('portcullis_refreshes_total{outcome="invalid"}', 2);
    await expectQuery('portcullis_refreshes_total{outcome="rate_limited"}', 1);
    await expectQuery('portcullis_rate_limited_total{limit="refresh"}', 1);

    const session = await metered.gql(LOGIN, { input });
    await metered.gql(LOGOUT, { allSessions: true }, { token: session.data!.login.accessToken });
    await expectQuery('portcullis_sessions_revoked_total{reason="logout_all"}', 1);
    await expectQuery('sum(portcullis_logins_total)', 4);
  });
});



// OpenTelemetry (SPEC §13): the real process entry with OTEL_EXPORTER_OTLP_ENDPOINT set sends its spans
// over OTLP/HTTP (JSON) to a receiver in this test. One login's trace: the HTTP request, the GraphQL
// operation under it, Redis and PostgreSQL under that, and password hashing; its trace id in the
// request's log line; no token, password or email in any attribute. Off, the SDK is never loaded.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { LOGIN, REGISTER, newUser } from '../helpers/graphql';
import { createTestDatabase, newRedisPrefix, realRedisUrl, type TestDatabase } from '../helpers/backends';
import { TEST_SECRETS } from '../helpers/test-server';
import { freePort, until } from '../helpers/waiting';

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRY = path.join(ROOT, 'dist', 'src', 'main.js');
const TRACING = path.join(ROOT, 'dist', 'src', 'observability', 'tracing.js');

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

const attribute = (span: Span, key: string): unknown => {
  const value = span.attributes.find((candidate) => candidate.key === key)?.value;
  return value ? Object.values(value)[0] : undefined;
};

describe('tracing off', () => {
  it('never loads the OpenTelemetry SDK when OTEL_EXPORTER_OTLP_ENDPOINT is unset', () => {
    const probe = `require(${JSON.stringify(TRACING)}); console.log(Object.keys(require.cache).filter((file) => file.includes('@opentelemetry')).length)`;
    const env = { PATH: process.env.PATH ?? '', DOTENV_CONFIG_PATH: '/nonexistent' };
    expect(execFileSync(process.execPath, ['-e', probe], { env, cwd: ROOT }).toString().trim()).toBe('0');
    const on = execFileSync(process.execPath, ['-e', probe], { env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }, cwd: ROOT });
    expect(Number(on.toString().trim())).toBeGreaterThan(5);
  });
});

const redisUrl = realRedisUrl();
(redisUrl ? describe : describe.skip)('tracing on (the process entry, real PostgreSQL and Redis)', () => {
  let database: TestDatabase;
  let receiver: http.Server;
  let child: ChildProcess;
  let output = '';
  let port: number;
  const spans: Span[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    receiver = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        if (request.url === '/v1/traces') {
          const payload = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Span[] }> }> };
          for (const resource of payload.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    port = await freePort();
    child = spawn(process.execPath, [ENTRY], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        ...TEST_SECRETS,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: database.dataDir,
        ...(database.url ? { DATABASE_URL: database.url } : {}),
        REDIS_URL: redisUrl!,
        REDIS_KEY_PREFIX: newRedisPrefix(),
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        // The batch processor's default delay (5 s): the shutdown test below relies on it.
      },
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await until(async () => (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined))?.ok === true, 45_000);
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await new Promise((resolve) => receiver?.close(resolve));
    await database?.drop();
  });

  async function post(query: string, variables: Record<string, unknown>, requestId: string) {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data: Record<string, { accessToken: string; refreshToken: string; user: { id: string } }> };
  }

  it("exports one login's trace: HTTP, then the GraphQL operation, then Redis, PostgreSQL and hashing, with its trace id in the log and no secret in any attribute", async () => {
    const input = newUser();
    const registered = await post(REGISTER, { input }, 'trace-register');
    const login = await post(LOGIN, { input: { email: input.email, password: input.password } }, 'trace-login');
    expect(login.data.login!.user.id).toBe(registered.data.register!.user.id);

    // The request's log line names its trace.
    let traceId = '';
    await until(async () => {
      const line = output.split('\n').find((candidate) => candidate.includes('"requestId":"trace-login"'));
      traceId = line ? ((JSON.parse(line) as { traceId?: string }).traceId ?? '') : '';
      return traceId.length === 32;
    }, 10_000);

    const trace = () => spans.filter((span) => span.traceId === traceId);
    const byId = () => new Map(trace().map((span) => [span.spanId, span]));
    const under = (span: Span, ancestor: Span): boolean => {
      const index = byId();
      for (let current = span.parentSpanId ? index.get(span.parentSpanId) : undefined; current; current = current.parentSpanId ? index.get(current.parentSpanId) : undefined) {
        if (current.spanId === ancestor.spanId) return true;
      }
      return false;
    };
    const find = (test: (span: Span) => boolean) => trace().find(test);
    const isGraphqlLogin = (span: Span) => attribute(span, 'graphql.operation.name') === 'Login' && attribute(span, 'graphql.operation.type') === 'mutation';
    const isRedis = (span: Span) => attribute(span, 'db.system') === 'redis' || attribute(span, 'db.system.name') === 'redis';
    const isPostgres = (span: Span) => attribute(span, 'db.system') === 'postgresql' || attribute(span, 'db.system.name') === 'postgresql';

    await until(async () => {
      const root = find((span) => !span.parentSpanId);
      const operation = find(isGraphqlLogin);
      return Boolean(
        root && operation && under(operation, root) && find((span) => isRedis(span) && under(span, operation)) && find((span) => isPostgres(span) && under(span, operation)) && find((span) => span.name === 'password.verify'),
      );
    }, 15_000).catch(() => {
      throw new Error(`incomplete trace: ${trace().map((span) => `${span.name}[${span.attributes.map((a) => a.key).join(',')}]`).join('; ')}`);
    });

    const root = find((span) => !span.parentSpanId)!;
    expect(root.kind).toBe(2); // SERVER
    expect(root.name).toMatch(/^POST/);
    expect(under(find((span) => span.name === 'password.verify')!, root)).toBe(true);

    const secrets = [
      input.email,
      input.password,
      registered.data.register!.accessToken,
      registered.data.register!.refreshToken,
      login.data.login!.accessToken,
      login.data.login!.refreshToken,
    ];
    const everything = JSON.stringify(spans);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    // The operation's document is recorded with its literal values replaced, and no variables at all.
    expect(spans.some((span) => span.attributes.some((a) => a.key.startsWith('graphql.variables')))).toBe(false);
  });

  // Last in this block: it stops the process.
  it('exports the spans of a login still in flight when SIGTERM arrives: the app finishes it, then tracing flushes, then the process exits', async () => {
    const input = newUser();
    await post(REGISTER, { input }, 'trace-last-register');
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const answer = post(LOGIN, { input: { email: input.email, password: input.password } }, 'trace-in-flight');
    await new Promise((resolve) => setTimeout(resolve, 15)); // on the wire, its password still being hashed
    child.kill('SIGTERM');
    expect((await answer).data.login!.user.id).toBeDefined();
    expect(await exited).toBe(0);

    const line = output.split('\n').find((candidate) => candidate.includes('"requestId":"trace-in-flight"'));
    const traceId = line ? (JSON.parse(line) as { traceId?: string }).traceId : undefined;
    expect(traceId).toHaveLength(32);
    // No waiting: what the process exported before it exited is all there will ever be.
    const names = spans.filter((span) => span.traceId === traceId).map((span) => span.name);
    expect(names).toContain('password.verify');
    expect(names.some((name) => name.startsWith('POST'))).toBe(true);
  });
});

// Store outages (SPEC §5): with Redis or PostgreSQL behind a TCP proxy we cut, the service fails closed with 503.
import net from 'node:net';
import { LOGIN, ME, REFRESH, REGISTER, newUser, registerUser, type GraphQLResponse } from '../helpers/graphql';
import { realPostgresUrl, realRedisUrl } from '../helpers/backends';
import { startTcpProxy, type CutMode, type TcpProxy } from '../helpers/tcp-proxy';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';
import { until } from '../helpers/waiting';

const BOUND_MS = 2_500;
const UNAVAILABLE_MESSAGE = 'Service temporarily unavailable, try again shortly';
/** Anything a driver or runtime would say: none of it may reach a client. */
const DRIVER_TEXT = /ECONN|ETIMEDOUT|EPIPE|writeable|connection|connect|ioredis|redis|prisma|postgres|pg-pool|timeout|terminated|stack|\bat .+:\d+:\d+/i;
const MODES: CutMode[] = ['refuse', 'blackhole', 'freeze'];

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await releaseTestResources();
});

function endpoint(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

async function get(server: TestServer, path: string): Promise<{ status: number; body: any; text: string; ms: number }> {
  const started = Date.now();
  const response = await fetch(new URL(path, server.origin));
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text, ms: Date.now() - started };
}

const isReady = async (server: TestServer) => (await get(server, '/ready')).status === 200;

async function timed<T>(request: () => Promise<T>): Promise<{ response: T; ms: number }> {
  const started = Date.now();
  const response = await request();
  return { response, ms: Date.now() - started };
}

/**
 * 503 with the one safe message and nothing else. `field` names the resolver that failed; null when the
 * request failed before execution (the context builder checks the token's session in Redis), so there is no `data`.
 */
function expectUnavailable({ response, ms }: { response: GraphQLResponse; ms: number }, field: string | null): void {
  expect(response.status).toBe(503);
  expect(ms).toBeLessThan(BOUND_MS);
  const error = { message: UNAVAILABLE_MESSAGE, extensions: { code: 'SERVICE_UNAVAILABLE' } };
  if (field) {
    expect(JSON.parse(response.text)).toEqual({ data: null, errors: [{ ...error, locations: expect.any(Array), path: [field] }] });
  } else {
    expect(JSON.parse(response.text)).toEqual({ errors: [error] });
  }
  expect(response.text).not.toMatch(DRIVER_TEXT);
}

/** Whoever is alive answers these, whatever the stores do. */
async function expectStorelessRequestsStillAnswer(server: TestServer): Promise<void> {
  const anonymous = await server.gql('{ __typename }');
  expect(anonymous.status).toBe(200);
  expect(anonymous.errors).toBeUndefined();
  expect(anonymous.data).toEqual({ __typename: 'Query' });
  const health = await get(server, '/health');
  expect(health.status).toBe(200);
  expect(health.body).toEqual({ status: 'ok' });
}

/** After an outage answered a refresh with 503, the same refresh token still works: the failure rotated nothing. */
async function expectRefreshSurvives(server: TestServer, proxy: TcpProxy, mode: CutMode): Promise<void> {
  const { refreshToken, user } = await registerUser(server);
  await proxy.cut(mode);

  const failed = await timed(() => server.gql(REFRESH, { refreshToken }));
  expectUnavailable(failed, 'refresh');
  expect(failed.response.cookies).toEqual({});

  await proxy.restore();
  await until(() => isReady(server), 5_000);
  const again = await server.gql(REFRESH, { refreshToken });
  expect(again.errors).toBeUndefined();
  expect(again.data!.refresh.user.id).toBe(user.id);
  const me = await server.gql(ME, {}, { token: again.data!.refresh.accessToken });
  expect(me.errors).toBeUndefined();
  expect(me.data!.me.id).toBe(user.id);
}

describe('the TCP proxy that stands in for a failing network', () => {
  let echo: net.Server;
  let proxy: TcpProxy;
  beforeAll(async () => {
    echo = net.createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    proxy = await startTcpProxy({ host: '127.0.0.1', port: (echo.address() as net.AddressInfo).port });
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  /** Connects through the proxy and reports what the network did within 500 ms. */
  function roundTrip(): Promise<'echoed' | 'refused' | 'silent' | 'closed'> {
    return new Promise((resolve) => {
      const socket = net.connect({ host: proxy.host, port: proxy.port });
      const finish = (outcome: 'echoed' | 'refused' | 'silent' | 'closed') => {
        clearTimeout(timer);
        socket.destroy();
        resolve(outcome);
      };
      const timer = setTimeout(() => finish('silent'), 500);
      socket.on('connect', () => socket.write('ping'));
      socket.on('data', (data) => finish(data.toString() === 'ping' ? 'echoed' : 'closed'));
      socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ECONNREFUSED' ? 'refused' : 'closed'));
      socket.on('close', () => finish('closed'));
    });
  }

  it('forwards bytes, refuses connections when cut in refuse mode, stalls them in blackhole mode, and forwards again on the same port after restore', async () => {
    expect(proxy.proxied('redis://user:pw@10.0.0.1:6379/2')).toBe(`redis://user:pw@127.0.0.1:${proxy.port}/2`);
    expect(await roundTrip()).toBe('echoed');
    await proxy.cut('refuse');
    expect(await roundTrip()).toBe('refused');
    await proxy.restore();
    expect(await roundTrip()).toBe('echoed');
    await proxy.cut('blackhole');
    expect(await roundTrip()).toBe('silent');
    await proxy.restore();
    expect(await roundTrip()).toBe('echoed');
  });

  it('resets connections that were live when it is cut in refuse or blackhole mode', async () => {
    for (const mode of ['refuse', 'blackhole'] as const) {
      const socket = net.connect({ host: proxy.host, port: proxy.port });
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      const closed = new Promise((resolve) => socket.once('close', resolve));
      await proxy.cut(mode);
      await closed;
      await proxy.restore();
    }
  });

  it('keeps live connections open but silent when frozen, and stalls new ones', async () => {
    const socket = net.connect({ host: proxy.host, port: proxy.port });
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    const received: string[] = [];
    socket.on('data', (data) => received.push(data.toString()));
    socket.write('before');
    await new Promise((resolve) => setTimeout(resolve, 100));

    await proxy.cut('freeze');
    socket.write('during');
    expect(await roundTrip()).toBe('silent');
    expect(socket.destroyed).toBe(false);
    expect(received.join('')).toBe('before');

    await proxy.restore();
    expect(await roundTrip()).toBe('echoed');
    socket.destroy();
  });
});

/** A store the service depends on, reached through a TCP proxy that the tests cut. */
interface Dependency {
  name: 'Redis' | 'PostgreSQL';
  /** Its entry in /ready's checks. */
  check: 'redis' | 'postgres';
  /** Starts a server whose connection to this store runs through a new proxy. */
  start(): Promise<{ server: TestServer; proxy: TcpProxy }>;
}

// The in-process session store cannot be cut off: Redis needs the real one (PORTCULLIS_TEST_REDIS).
// The embedded PGlite listens on a socket the app opens itself: PostgreSQL needs the real one (PORTCULLIS_TEST_PG).
const redisUrl = realRedisUrl();
const DEPENDENCIES: Dependency[] = [];
if (redisUrl) {
  DEPENDENCIES.push({
    name: 'Redis',
    check: 'redis',
    async start() {
      const proxy = await startTcpProxy(endpoint(redisUrl));
      closers.push(() => proxy.close());
      const server = await createTestServer({ redisUrl: proxy.proxied(redisUrl) });
      closers.push(() => server.close());
      return { server, proxy };
    },
  });
}
if (realPostgresUrl()) {
  DEPENDENCIES.push({
    name: 'PostgreSQL',
    check: 'postgres',
    async start() {
      const direct = await createTestServer();
      closers.push(() => direct.close());
      const databaseUrl = direct.env.DATABASE_URL!;
      const proxy = await startTcpProxy(endpoint(databaseUrl));
      closers.push(() => proxy.close());
      const server = await createTestServer({ databaseUrl: proxy.proxied(databaseUrl) });
      closers.push(() => server.close());
      return { server, proxy };
    },
  });
}

// jest refuses an empty table: with neither real store there is nothing to cut.
if (DEPENDENCIES.length > 0) {
  describe.each(DEPENDENCIES)('while $name is unreachable', (dependency) => {
    const { name, check } = dependency;
    let server: TestServer;
    let proxy: TcpProxy;
    beforeAll(async () => {
      ({ server, proxy } = await dependency.start());
      await until(() => isReady(server), 5_000);
    });
    afterEach(async () => {
      await proxy.restore();
      await until(() => isReady(server), 5_000);
    });

    describe.each(MODES)('(cut: %s)', (mode) => {
      // The context builder checks the token's session in Redis before execution; PostgreSQL fails in the resolver.
      if (name === 'Redis') {
        it('answers a logged-in me with SERVICE_UNAVAILABLE and HTTP 503 in time, before execution, with no driver text', async () => {
          const { accessToken } = await registerUser(server);
          await proxy.cut(mode);

          expectUnavailable(await timed(() => server.gql(ME, {}, { token: accessToken })), null);
        });

        it('never treats a token it cannot check as anonymous: even a query needing no store answers 503', async () => {
          const { accessToken } = await registerUser(server);
          await proxy.cut(mode);

          expectUnavailable(await timed(() => server.gql('{ __typename }', {}, { token: accessToken })), null);
        });
      } else {
        it('answers me with a valid token with SERVICE_UNAVAILABLE and HTTP 503 in time, with no driver text', async () => {
          const { accessToken } = await registerUser(server);
          await proxy.cut(mode);

          expectUnavailable(await timed(() => server.gql(ME, {}, { token: accessToken })), 'me');
        });
      }

      it(`serves the same token again by itself within a few seconds of ${name} coming back`, async () => {
        const { accessToken, user } = await registerUser(server);
        await proxy.cut(mode);
        expect((await server.gql(ME, {}, { token: accessToken })).status).toBe(503);

        await proxy.restore();
        await until(async () => (await server.gql(ME, {}, { token: accessToken })).status === 200, 5_000);
        const me = await server.gql(ME, {}, { token: accessToken });
        expect(me.errors).toBeUndefined();
        expect(me.data!.me.id).toBe(user.id);
      });

      it('answers login with SERVICE_UNAVAILABLE and HTTP 503 in time, setting no cookies', async () => {
        const { input } = await registerUser(server);
        await proxy.cut(mode);

        const login = await timed(() => server.gql(LOGIN, { input: { email: input.email, password: input.password } }));
        expectUnavailable(login, 'login');
        expect(login.response.cookies).toEqual({});
      });

      // With Redis down the user row is written before the session fails, so it must be gone again at once.
      if (name === 'Redis') {
        it('answers register with SERVICE_UNAVAILABLE and HTTP 503 in time, keeps no account, and registers on retry once Redis is back', async () => {
          const input = newUser();
          await proxy.cut(mode);

          const register = await timed(() => server.gql(REGISTER, { input }));
          expectUnavailable(register, 'register');
          expect(register.response.cookies).toEqual({});
          // The row written before the session failed is removed again: nothing half-made remains.
          expect(await server.database.prisma.user.count({ where: { email: input.email } })).toBe(0);

          await proxy.restore();
          await until(() => isReady(server), 5_000);
          const again = await server.gql(REGISTER, { input });
          expect(again.errors).toBeUndefined();
          const login = await server.gql(LOGIN, { input: { email: input.email, password: input.password } });
          expect(login.errors).toBeUndefined();
          expect(login.data!.login.user.email).toBe(input.email);
        });
      } else {
        it('answers register with SERVICE_UNAVAILABLE and HTTP 503 in time, creating no account', async () => {
          const input = newUser();
          await proxy.cut(mode);

          expectUnavailable(await timed(() => server.gql(REGISTER, { input })), 'register');

          await proxy.restore();
          await until(() => isReady(server), 5_000);
          expect(await server.database.prisma.user.count({ where: { email: input.email } })).toBe(0);
        });
      }

      it(`answers refresh with SERVICE_UNAVAILABLE and HTTP 503 in time, and the same refresh token refreshes once ${name} is back`, async () => {
        await expectRefreshSurvives(server, proxy, mode);
      });

      it(`reports not ready, naming ${check}, with HTTP 503 in time, and ready again after it returns`, async () => {
        await proxy.cut(mode);

        const ready = await get(server, '/ready');
        expect(ready.status).toBe(503);
        expect(ready.ms).toBeLessThan(BOUND_MS);
        expect(ready.body).toEqual({ status: 'unavailable', checks: { postgres: 'ok', redis: 'ok', [check]: 'unavailable' } });

        await proxy.restore();
        await until(() => isReady(server), 5_000);
        expect((await get(server, '/ready')).body).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
      });

      it('still answers anonymous requests that need no store, and /health, without crashing', async () => {
        await proxy.cut(mode);

        await expectStorelessRequestsStillAnswer(server);
      });
    });
  });
}

// Machine clients during store outages (SPEC §5): fail closed with 503, never anonymity, then recover.
import { realPostgresUrl, realRedisUrl } from '../helpers/backends';
import { adminToken, CLIENT_TOKEN, clientTokenFor, newClient } from '../helpers/clients';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';
import { until } from '../helpers/waiting';

const USERS = '{ users(first: 1) { totalCount } }';
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await releaseTestResources();
});

const endpoint = (url: string) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) });
const codeOf = (response: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => response.errors?.[0]?.extensions?.code;

async function oauth(server: TestServer, id: string, secret: string) {
  const response = await fetch(`${server.origin}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
    body: 'grant_type=client_credentials',
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const describeIf = (condition: unknown) => (condition ? describe : describe.skip);

describeIf(realRedisUrl())('machine clients while Redis is unreachable', () => {
  let server: TestServer;
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy(endpoint(realRedisUrl()!));
    closers.push(() => proxy.close());
    server = await createTestServer({ redisUrl: proxy.proxied(realRedisUrl()!) });
    closers.push(() => server.close());
  });

  it('answers SERVICE_UNAVAILABLE (503) to token requests and to requests bearing a client token, and recovers', async () => {
    const client = await newClient(server, ['users:read']);
    const token = await clientTokenFor(server, client);
    await proxy.cut('refuse');

    const grant = await server.gql(CLIENT_TOKEN, { clientId: client.id, clientSecret: client.secret });
    expect(grant.status).toBe(503);
    expect(codeOf(grant)).toBe('SERVICE_UNAVAILABLE');
    expect(grant.text).not.toContain('accessToken":"');
    const standard = await oauth(server, client.id, client.secret);
    expect(standard).toEqual({ status: 503, body: { error: 'temporarily_unavailable', error_description: expect.any(String) } });
    const use = await server.gql(USERS, {}, { token });
    expect(use.status).toBe(503);
    expect(codeOf(use)).toBe('SERVICE_UNAVAILABLE');

    await proxy.restore();
    await until(async () => (await server.gql(USERS, {}, { token })).status === 200, 5_000);
    expect((await oauth(server, client.id, client.secret)).status).toBe(200);
  });
});

describeIf(realPostgresUrl())('machine clients while PostgreSQL is unreachable', () => {
  let server: TestServer;
  let proxy: TcpProxy;
  beforeAll(async () => {
    const direct = await createTestServer();
    closers.push(() => direct.close());
    proxy = await startTcpProxy(endpoint(direct.config.databaseUrl!));
    closers.push(() => proxy.close());
    server = await createTestServer({ shareWith: direct, databaseUrl: proxy.proxied(direct.config.databaseUrl!) });
    closers.push(() => server.close());
  });

  it('answers SERVICE_UNAVAILABLE (503) to token requests and admin operations on clients, and recovers', async () => {
    const client = await newClient(server, ['users:read']);
    const admin = await adminToken(server);
    await proxy.cut('refuse');

    const grant = await server.gql(CLIENT_TOKEN, { clientId: client.id, clientSecret: client.secret });
    expect(grant.status).toBe(503);
    expect(codeOf(grant)).toBe('SERVICE_UNAVAILABLE');
    expect((await oauth(server, client.id, client.secret)).status).toBe(503);
    const create = await server.gql(`mutation { createServiceClient(name: "During", scopes: ["users:read"]) { clientSecret } }`, {}, { token: admin });
    expect(create.status).toBe(503);
    expect(codeOf(create)).toBe('SERVICE_UNAVAILABLE');

    await proxy.restore();
    await until(async () => (await oauth(server, client.id, client.secret)).status === 200, 5_000);
  });
});

// POST /coprocessor: Apollo Router's external coprocessing protocol (version 1, RouterRequest stage),
// fed requests shaped exactly as Apollo's documentation shows them (test/fixtures/coprocessor), on the
// coprocessor's own listener (COPROCESSOR_PORT), never on the public port.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { adminToken, clientTokenFor, newClient } from '../helpers/clients';
import { LOGOUT, registerUser } from '../helpers/graphql';
import { realRedisUrl } from '../helpers/backends';
import { startTcpProxy } from '../helpers/tcp-proxy';
import { decodeJwt } from '../helpers/tokens';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const CLAIMS = 'apollo::authentication::jwt_claims';
const fixture = (name: string): Record<string, any> =>
  JSON.parse(readFileSync(path.join(__dirname, '../fixtures/coprocessor', name), 'utf8'));

const closers: Array<() => Promise<void>> = [];
/** The coprocessor on a free port of its own, on COPROCESSOR_HOST's default (127.0.0.1). */
const WITH_COPROCESSOR = { env: { COPROCESSOR_PORT: '0' } };

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer(WITH_COPROCESSOR);
  closers.push(() => server.close());
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await releaseTestResources();
});

async function coprocess(target: TestServer, body: unknown, options: { raw?: string; contentType?: string } = {}) {
  const response = await fetch(target.coprocessorUrl!, {
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'application/json' },
    body: options.raw ?? JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Record<string, any> };
}

/** The documented RouterRequest example, with the client's headers replaced or added. */
function routerRequest(headers: Record<string, string[]> = {}): Record<string, any> {
  const request = fixture('router-request.json');
  return { ...request, headers: { ...request.headers, ...headers } };
}

const bearer = (token: string) => ({ authorization: [`Bearer ${token}`] });

describe('where the coprocessor listens', () => {
  it('is not on the public port: POST /coprocessor there answers 404 and verifies nothing, even with a valid token', async () => {
    const alice = await registerUser(server);
    const response = await fetch(new URL('/coprocessor', server.origin), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(routerRequest(bearer(alice.accessToken))),
    });
    const text = await response.text();

    expect(response.status).toBe(404);
    expect(text).not.toMatch(/continue|break|jwt_claims/);
    expect(text).not.toContain(alice.user.id);
  });

  it('listens on a port of its own, on 127.0.0.1 by default', () => {
    const address = server.app.coprocessor!.server.address() as AddressInfo;

    expect(address.address).toBe('127.0.0.1');
    expect(address.port).not.toBe(Number(new URL(server.origin).port));
    expect(server.coprocessorUrl).toBe(`http://127.0.0.1:${address.port}/coprocessor`);
  });

  it('serves nothing but POST /coprocessor there: GraphQL, health and a GET answer 404', async () => {
    const origin = new URL(server.coprocessorUrl!).origin;
    const graphql = await fetch(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    const health = await fetch(`${origin}/health`);
    const get = await fetch(server.coprocessorUrl!);

    expect([graphql.status, health.status, get.status]).toEqual([404, 404, 404]);
    expect(await graphql.text()).not.toContain('__typename');
  });

  it('is not served at all without COPROCESSOR_PORT', async () => {
    const plain = await createTestServer();
    closers.push(() => plain.close());
    const response = await fetch(new URL('/coprocessor', plain.origin), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(routerRequest()) });

    expect(plain.app.coprocessor).toBeUndefined();
    expect(plain.coprocessorUrl).toBeUndefined();
    expect(response.status).toBe(404);
  });

  it('stops listening when the app closes, after answering the request in flight and closing keep-alive connections', async () => {
    const closing = await createTestServer(WITH_COPROCESSOR);
    await coprocess(closing, routerRequest()); // leaves a keep-alive connection open, as a router does
    const received = new Promise((resolve) => closing.app.coprocessor!.server.once('request', resolve));
    const inFlight = coprocess(closing, routerRequest());
    await received;
    await closing.close();

    expect((await inFlight).body.control).toBe('continue');
    await expect(fetch(closing.coprocessorUrl!, { method: 'POST', body: '{}' })).rejects.toThrow();
  });
});

describe('a RouterRequest the service can answer', () => {
  it('continues the documented example (no token) unchanged: same control properties, headers and context entries, no claims', async () => {
    const request = fixture('router-request.json');
    const response = await coprocess(server, request);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      version: 1,
      stage: 'RouterRequest',
      control: 'continue',
      id: '1b19c05fdafc521016df33148ad63c1b',
      headers: request.headers,
      context: request.context,
    });
  });

  it('continues with the verified sub, sid and scope of a Bearer token in the router context', async () => {
    const alice = await registerUser(server);
    const { sub, sid } = decodeJwt(alice.accessToken).payload;
    const response = await coprocess(server, routerRequest(bearer(alice.accessToken)));

    expect(response.status).toBe(200);
    expect(response.body.control).toBe('continue');
    expect(response.body.id).toBe('1b19c05fdafc521016df33148ad63c1b');
    expect(response.body.context.entries).toEqual({
      'accepts-json': false,
      'accepts-wildcard': true,
      'accepts-multipart': false,
      [CLAIMS]: { sub, sid, scope: 'profile:read' },
    });
    expect(sub).toBe(alice.user.id);
  });

  it('reads the access_token cookie when there is no Authorization header, whatever the header name case', async () => {
    const alice = await registerUser(server);
    const request = routerRequest();
    delete request.headers.cookie;
    request.headers.Cookie = [`tasty_cookie=strawberry; access_token=${alice.accessToken}`];
    const response = await coprocess(server, request);

    expect(response.body.control).toBe('continue');
    expect(response.body.context.entries[CLAIMS]).toMatchObject({ sub: alice.user.id });
  });

  it('answers the minimal request of the "adding authorization claims" example, keeping its context entries', async () => {
    const response = await coprocess(server, fixture('router-request-claims.json'));

    expect(response.body).toEqual({
      version: 1,
      stage: 'RouterRequest',
      control: 'continue',
      id: 'd0a8245df0efe8aa38a80dba1147fb2e',
      context: { entries: { 'accepts-json': true } },
    });
  });
});

describe('a RouterRequest carrying a machine client\'s token', () => {
  it('continues with sub client:<id> and the granted scope, and no session id', async () => {
    const client = await newClient(server, ['users:read', 'audit:read']);
    const token = await clientTokenFor(server, client, ['users:read']);
    const response = await coprocess(server, routerRequest(bearer(token)));

    expect(response.status).toBe(200);
    expect(response.body.control).toBe('continue');
    expect(response.body.context.entries[CLAIMS]).toEqual({ sub: `client:${client.id}`, scope: 'users:read' });
  });

  it('breaks with 401 once the client is disabled, at once', async () => {
    const client = await newClient(server, ['users:read']);
    const token = await clientTokenFor(server, client);
    const disabled = await server.gql(`mutation($id: ID!) { disableServiceClient(id: $id) { disabled } }`, { id: client.id }, { token: await adminToken(server) });
    expect(disabled.data?.disableServiceClient).toEqual({ disabled: true });

    const response = await coprocess(server, routerRequest(bearer(token)));
    expect(response.body.control).toEqual({ break: 401 });
    expect(JSON.parse(response.body.body).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(response.body.context).toBeUndefined(); // no claims travel with a refusal
  });
});

describe('a RouterRequest whose credentials the service refuses', () => {
  it('breaks with 401 and a GraphQL error body for a Bearer token whose session was revoked', async () => {
    const alice = await registerUser(server);
    await server.gql(LOGOUT, {}, { token: alice.accessToken });
    const response = await coprocess(server, routerRequest(bearer(alice.accessToken)));

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      version: 1,
      stage: 'RouterRequest',
      control: { break: 401 },
      id: '1b19c05fdafc521016df33148ad63c1b',
      body: expect.any(String),
    });
    expect(JSON.parse(response.body.body)).toEqual({
      errors: [{ message: 'Invalid, expired or revoked token', extensions: { code: 'UNAUTHENTICATED' } }],
    });
    expect(response.text).not.toContain(alice.user.id);
  });

  it('breaks with 401 on the very next check after a logout, though the same token was accepted a moment before', async () => {
    const alice = await registerUser(server);
    const accepted = await coprocess(server, routerRequest(bearer(alice.accessToken)));
    expect(accepted.body.control).toBe('continue');

    await server.gql(LOGOUT, {}, { token: alice.accessToken });
    const refused = await coprocess(server, routerRequest(bearer(alice.accessToken)));

    expect(refused.body.control).toEqual({ break: 401 });
    expect(refused.body).not.toHaveProperty('context');
    expect(refused.text).not.toContain(alice.user.id);
  });

  it('breaks with 401 for a malformed or forged Bearer token', async () => {
    const alice = await registerUser(server);
    const [header, payload] = alice.accessToken.split('.');
    for (const token of ['not-a-jwt', `${header}.${payload}.`, `${alice.accessToken}x`]) {
      const response = await coprocess(server, routerRequest(bearer(token)));
      expect(response.body.control).toEqual({ break: 401 });
      expect(response.body).not.toHaveProperty('context');
    }
  });

  it('breaks with 401 when the request carries more than one Authorization value, even if one of them is valid', async () => {
    const alice = await registerUser(server);
    const ambiguous: Array<Record<string, string[]>> = [{ authorization: ['', `Bearer ${alice.accessToken}`] }, { authorization: [`Bearer ${alice.accessToken}`], Authorization: ['Bearer forged'] }];
    for (const headers of ambiguous) {
      const response = await coprocess(server, routerRequest(headers));
      expect(response.body.control).toEqual({ break: 401 });
      expect(JSON.stringify(response.body)).not.toContain(alice.accessToken);
      expect(response.body).not.toHaveProperty('context');
    }
  });

  it('continues anonymously for a stale access cookie, so that login and refresh still pass the router', async () => {
    const alice = await registerUser(server);
    await server.gql(LOGOUT, {}, { token: alice.accessToken });
    const response = await coprocess(server, routerRequest({ cookie: [`access_token=${alice.accessToken}`] }));

    expect(response.body.control).toBe('continue');
    expect(response.body.context.entries).not.toHaveProperty([CLAIMS]);
  });
});

describe('identity the client tries to assert', () => {
  it('drops claims already in the context and identity headers, keeping every other header', async () => {
    const alice = await registerUser(server);
    const request = routerRequest({
      'x-user-id': [alice.user.id],
      'X-User-Role': ['ADMIN'],
      'x-portcullis-sub': [alice.user.id],
      'x-forwarded-user': [alice.user.id],
      'x-scopes': ['users:read'],
    });
    request.context.entries[CLAIMS] = { sub: alice.user.id, scope: 'users:read users:write' };
    const response = await coprocess(server, request);

    expect(response.body.control).toBe('continue');
    expect(response.body.context.entries).not.toHaveProperty([CLAIMS]);
    expect(response.body.headers).toEqual(fixture('router-request.json').headers);
  });

  it('replaces forged claims with the verified ones when a real token comes along', async () => {
    const alice = await registerUser(server);
    const mallory = await registerUser(server);
    const request = routerRequest(bearer(mallory.accessToken));
    request.context.entries[CLAIMS] = { sub: alice.user.id, scope: 'users:read' };
    const response = await coprocess(server, request);

    expect(response.body.context.entries[CLAIMS]).toEqual({ sub: mallory.user.id, sid: decodeJwt(mallory.accessToken).payload.sid, scope: 'profile:read' });
  });
});

describe('requests the service cannot answer (the router then fails the client request closed)', () => {
  it.each([
    ['a body that is not JSON', { raw: '{"version": 1, "stage": "RouterRequest",' }],
    ['a JSON array', { raw: '[]' }],
    ['a JSON string', { raw: '"RouterRequest"' }],
    ['a body sent as text/plain', { raw: JSON.stringify(fixture('router-request.json')), contentType: 'text/plain' }],
  ])('answers 400 to %s', async (_description, options) => {
    const response = await coprocess(server, undefined, options);
    expect(response.status).toBe(400);
    expect(response.text).not.toContain('continue');
  });

  it.each([
    ['no version', { version: undefined }],
    ['version 2', { version: 2 }],
    ['no id', { id: undefined }],
    ['headers that are not arrays of strings', { headers: { authorization: 'Bearer x' } }],
    ['context without entries', { context: { accepts: true } }],
  ])('answers 400 to a RouterRequest with %s', async (_description, change) => {
    const response = await coprocess(server, { ...fixture('router-request.json'), ...change });
    expect(response.status).toBe(400);
    expect(response.body).toHaveProperty('error');
  });

  it.each([
    ['the documented SupergraphRequest example', fixture('supergraph-request.json')],
    ['a stage that does not exist', { ...fixture('router-request.json'), stage: 'Nonsense' }],
    ['RouterResponse', { ...fixture('router-request.json'), stage: 'RouterResponse' }],
  ])('answers 400 to %s, naming the stage', async (_description, request) => {
    const response = await coprocess(server, request);
    expect(response.status).toBe(400);
    expect(response.body.error).toBe(`stage ${request.stage} is not handled: configure coprocessor.router.request only`);
  });
});

// The in-process session store cannot be cut off: this needs the real Redis.
const redisUrl = realRedisUrl();
(redisUrl ? describe : describe.skip)('while Redis is unreachable', () => {
  it('breaks with 503 SERVICE_UNAVAILABLE instead of trusting the token, and continues again once Redis is back', async () => {
    const target = new URL(redisUrl!);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    closers.push(() => proxy.close());
    const cut = await createTestServer({ ...WITH_COPROCESSOR, redisUrl: proxy.proxied(redisUrl!) });
    closers.push(() => cut.close());
    const alice = await registerUser(cut);

    await proxy.cut('refuse');
    const down = await coprocess(cut, routerRequest(bearer(alice.accessToken)));
    expect(down.status).toBe(200);
    expect(down.body.control).toEqual({ break: 503 });
    expect(JSON.parse(down.body.body).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect(down.text).not.toMatch(/ECONN|redis|ioredis/i);

    await proxy.restore();
    for (let attempt = 0; ; attempt += 1) {
      const up = await coprocess(cut, routerRequest(bearer(alice.accessToken)));
      if (up.body.control === 'continue') {
        expect(up.body.context.entries[CLAIMS]).toMatchObject({ sub: alice.user.id });
        break;
      }
      if (attempt > 50) throw new Error(`coprocessor did not recover: ${up.text}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});

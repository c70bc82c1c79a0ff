// POST /oauth/token (issue 6): the OAuth 2.0 client-credentials grant with RFC 6749's shapes.
import { adminToken, clientTokenFor, newClient, type TestClient } from '../helpers/clients';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const LIMITS = { RATE_LIMIT_REGISTER_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000' };
const FORM = 'application/x-www-form-urlencoded';

let server: TestServer;
let client: TestClient;

beforeAll(async () => {
  server = await createTestServer({ env: LIMITS });
  client = await newClient(server, ['users:read', 'audit:read']);
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function tokenRequest(target: TestServer, body: Record<string, string | string[]> | string, headers: Record<string, string> = {}) {
  const pairs = typeof body === 'string' ? [] : Object.entries(body).flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).map((v): [string, string] => [key, v]));
  const form = typeof body === 'string' ? body : new URLSearchParams(pairs).toString();
  const response = await fetch(`${target.origin}/oauth/token`, { method: 'POST', headers: { 'content-type': FORM, ...headers }, body: form });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as Record<string, unknown> };
}

function expectError(response: Awaited<ReturnType<typeof tokenRequest>>, status: number, error: string): void {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({ error, error_description: expect.any(String) });
  expect(response.body.access_token).toBeUndefined();
}

it('issues a token for HTTP Basic credentials with the RFC 6749 §5.1 shape and no-store headers; it works on /graphql', async () => {
  const response = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'users:read' }, { authorization: basic(client.id, client.secret) });

  expect(response.status).toBe(200);
  expect(response.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, scope: 'users:read' });
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('pragma')).toBe('no-cache');
  expect(response.body.refresh_token).toBeUndefined();
  const users = await server.gql('{ users(first: 1) { totalCount } }', {}, { token: response.body.access_token as string });
  expect(users.errors).toBeUndefined();
});

it('accepts client_id and client_secret in the body, and grants every allowed scope when none is asked for', async () => {
  const response = await tokenRequest(server, { grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret });

  expect(response.status).toBe(200);
  expect(response.body.scope).toBe('users:read audit:read');
});

it('answers invalid_client (401) with WWW-Authenticate for a wrong secret, an unknown client, no credentials or a broken Basic header', async () => {
  const cases: Array<[Record<string, string>, Record<string, string>]> = [
    [{ grant_type: 'client_credentials' }, { authorization: basic(client.id, 'wrong') }],
    [{ grant_type: 'client_credentials' }, { authorization: basic('pc_AAAAAAAAAAAAAAAA', client.secret) }],
    [{ grant_type: 'client_credentials' }, {}],
    [{ grant_type: 'client_credentials' }, { authorization: 'Basic %%%' }],
    [{ grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` }],
  ];
  for (const [body, headers] of cases) {
    const response = await tokenRequest(server, body, headers);
    expectError(response, 401, 'invalid_client');
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="portcullis"');
  }
});

it('answers invalid_scope (400) when asked for more than the client is allowed', async () => {
  const response = await tokenRequest(server, { grant_type: 'client_credentials', scope: 'users:read users:write' }, { authorization: basic(client.id, client.secret) });

  expectError(response, 400, 'invalid_scope');
});

it('answers invalid_request or unsupported_grant_type (400) for malformed requests', async () => {
  const auth = { authorization: basic(client.id, client.secret) };
  expectError(await tokenRequest(server, {}, auth), 400, 'invalid_request');
  expectError(await tokenRequest(server, { grant_type: 'password', username: 'a', password: 'b' }, auth), 400, 'unsupported_grant_type');
  expectError(await tokenRequest(server, { grant_type: ['client_credentials', 'client_credentials'] }, auth), 400, 'invalid_request');
  expectError(await tokenRequest(server, { grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret }, auth), 400, 'invalid_request');

  const json = await fetch(`${server.origin}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ grant_type: 'client_credentials' }),
  });
  expect(json.status).toBe(400);
  expect(await json.json()).toEqual({ error: 'invalid_request', error_description: 'Content-Type must be application/x-www-form-urlencoded' });

  const get = await fetch(`${server.origin}/oauth/token`);
  expect(get.status).toBe(405);
  expect(get.headers.get('allow')).toBe('POST');
});

it('answers invalid_client (401) for a disabled client, and rate_limited (429) with Retry-After past the failure limit', async () => {
  const limited = await createTestServer({ env: { ...LIMITS, RATE_LIMIT_LOGIN_PER_ACCOUNT: '2' } });
  try {
    const target = await newClient(limited, ['users:read']);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expectError(await tokenRequest(limited, { grant_type: 'client_credentials' }, { authorization: basic(target.id, 'nope') }), 401, 'invalid_client');
    }
    const blocked = await tokenRequest(limited, { grant_type: 'client_credentials' }, { authorization: basic(target.id, target.secret) });
    expectError(blocked, 429, 'rate_limited');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);

    const other = await newClient(limited, ['users:read']);
    await clientTokenFor(limited, other);
    await limited.gql(`mutation($id: ID!) { disableServiceClient(id: $id) { id } }`, { id: other.id }, { token: await adminToken(limited) });
    expectError(await tokenRequest(limited, { grant_type: 'client_credentials' }, { authorization: basic(other.id, other.secret) }), 401, 'invalid_client');
  } finally {
    await limited.close();
  }
});

// The HTTP surface (SPEC §3, §5): methods, CSRF prevention, batching, body limits, CORS, probes, landing page, introspection.
import { adminQuery, realPostgresUrl, realRedisUrl } from '../helpers/backends';
import { LOGIN, parseResponse, type GraphQLResponse } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const APP_ORIGIN = 'https://app.example.com';
const INTROSPECTION = '{ __schema { queryType { name } } }';
/** What a stack trace or a driver would say: none of it may reach a client outside development. */
const INTERNAL_TEXT = /stacktrace|\bat .+:\d+:\d+|node_modules|prisma|SyntaxError|Unexpected token|users/i;

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer({ env: { CORS_ORIGINS: APP_ORIGIN } });
});
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await server.close();
  await releaseTestResources();
});

async function started(env: Record<string, string>): Promise<TestServer> {
  const instance = await createTestServer({ env });
  closers.push(() => instance.close());
  return instance;
}

function get(target: TestServer, query: string, headers: Record<string, string> = {}): Promise<GraphQLResponse> {
  const url = new URL(target.url);
  url.searchParams.set('query', query);
  return fetch(url, { headers }).then(parseResponse);
}

function post(target: TestServer, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<GraphQLResponse> {
  return fetch(target.url, { method: 'POST', headers, body }).then(parseResponse);
}

async function probe(target: TestServer, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(new URL(path, target.origin));
  return { status: response.status, body: await response.json() };
}

function expectCsrfRefusal(response: GraphQLResponse): void {
  expect(response.status).toBe(400);
  expect(response.data).toBeUndefined();
  expect(response.errors).toEqual([
    { message: expect.stringMatching(/^This operation has been blocked as a potential Cross-Site Request Forgery \(CSRF\)/), extensions: { code: 'BAD_REQUEST' } },
  ]);
}

describe('GET /graphql', () => {
  it('answers a query sent with the preflight header', async () => {
    const response = await get(server, '{ __typename }', { 'apollo-require-preflight': 'true' });

    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a mutation with 405 and allows only POST', async () => {
    const response = await get(server, 'mutation { logout }', { 'apollo-require-preflight': 'true' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(response.data).toBeUndefined();
    expect(response.errors).toEqual([
      { message: 'GET requests only support query operations, not mutation operations', extensions: { code: 'BAD_REQUEST' } },
    ]);
  });

  it('refuses a query without a preflight-forcing header as a possible CSRF with 400', async () => {
    const response = await get(server, '{ __typename }');

    expectCsrfRefusal(response);
  });
});

describe('POST /graphql', () => {
  it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['multipart/form-data; boundary=x']])(
    'refuses a %s body, which a browser can send cross-site without a preflight, with 415 and runs nothing',
    async (contentType) => {
      const response = await post(server, JSON.stringify({ query: 'mutation { logout }' }), { 'content-type': contentType });

      expect(response.status).toBe(415);
      expect(response.data).toBeUndefined();
      expect(response.errors).toEqual([{ message: 'POST /graphql needs Content-Type: application/json', extensions: { code: 'BAD_REQUEST' } }]);
      expect(response.cookies).toEqual({});
    },
  );

  it('refuses operation batching (a JSON array body) with 400', async () => {
    const response = await post(server, JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]));

    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toEqual({ errors: [{ message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('refuses malformed JSON with 400 and a GraphQL error that carries no parser internals', async () => {
    const response = await post(server, '{"query": "{ __typename }"');

    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toEqual({ errors: [{ message: 'Malformed request body', extensions: { code: 'BAD_REQUEST' } }] });
    expect(response.text).not.toMatch(INTERNAL_TEXT);
  });

  it('refuses a body over BODY_LIMIT with 413 and a JSON GraphQL error', async () => {
    const small = await started({ BODY_LIMIT: '10kb' });
    const body = JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(20_000) } });

    const response = await post(small, body);

    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(response.text)).toEqual({ errors: [{ message: 'Request body is too large', extensions: { code: 'BAD_REQUEST' } }] });
    expect((await post(small, JSON.stringify({ query: '{ __typename }' }))).status).toBe(200);
  });

  it('refuses a 5 MB body under the default 1 MB limit with 413', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(5 * 1024 * 1024) } });

    const response = await post(server, body);

    expect(response.status).toBe(413);
    expect(response.errors).toEqual([{ message: 'Request body is too large', extensions: { code: 'BAD_REQUEST' } }]);
  });

  it('refuses a 32 kB Authorization header with 431, never a 5xx', async () => {
    const response = await post(server, JSON.stringify({ query: '{ __typename }' }), {
      'content-type': 'application/json',
      authorization: `Bearer ${'a'.repeat(32 * 1024)}`,
    });

    expect(response.status).toBe(431);
  });

  it('answers an unexpected database error as INTERNAL_SERVER_ERROR with a bare message and nothing internal', async () => {
    const database = server.env.DATABASE_URL;
    const breakUsers = (sql: string) => (database ? adminQuery(database, sql) : server.database.pool.query(sql).then(() => undefined));
    await breakUsers('ALTER TABLE users RENAME TO users_gone');
    let response: GraphQLResponse;
    try {
      response = await server.gql(LOGIN, { input: { email: 'ada@example.com', password: 'correct horse battery staple' } });
    } finally {
      await breakUsers('ALTER TABLE users_gone RENAME TO users');
    }

    expect(response.status).toBe(200);
    expect(response.data).toBeNull();
    expect(response.errors).toEqual([
      { message: 'Internal server error', locations: expect.any(Array), path: ['login'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ]);
    expect(response.text).not.toMatch(INTERNAL_TEXT);
  });
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin with that origin and credentials', async () => {
    const response = await fetch(server.url, {
      method: 'OPTIONS',
      headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });

    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('answers a POST from an allowed origin with that origin and credentials', async () => {
    const response = await server.gql('{ __typename }', {}, { headers: { origin: APP_ORIGIN } });

    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('vary')).toMatch(/origin/i);
  });

  it('gives another origin no Access-Control-Allow-Origin, on preflight or on POST', async () => {
    const origin = 'https://evil.example.net';
    const preflight = await fetch(server.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    const response = await server.gql('{ __typename }', {}, { headers: { origin } });

    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('probes', () => {
  it('answers /health with 200 and status ok', async () => {
    expect(await probe(server, '/health')).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('answers /ready with 200 when PostgreSQL and Redis both answer', async () => {
    expect(await probe(server, '/ready')).toEqual({ status: 200, body: { status: 'ok', checks: { postgres: 'ok', redis: 'ok' } } });
  });
});

describe('outside production', () => {
  it('serves the Apollo Sandbox landing page to a browser', async () => {
    const response = await fetch(server.url, { headers: { accept: 'text/html' } });
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toMatch(/embeddable-sandbox/);
  });

  it('answers introspection', async () => {
    const response = await server.gql(INTROSPECTION);

    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });
});

// Production refuses the embedded PostgreSQL and session store: these need both real backends.
if (realPostgresUrl() && realRedisUrl()) {
  describe('in production', () => {
    let production: TestServer;
    beforeAll(async () => {
      production = await started({ NODE_ENV: 'production' });
    });

    it('serves no landing page: a browser GET is an ordinary GraphQL request, refused by CSRF prevention', async () => {
      const response = await fetch(production.url, { headers: { accept: 'text/html' } }).then(parseResponse);

      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.text).not.toMatch(/sandbox|<html/i);
      expectCsrfRefusal(response);
    });

    it('refuses introspection as a validation failure with 400 and returns no schema', async () => {
      const response = await production.gql(INTROSPECTION);

      expect(response.status).toBe(400);
      expect(response.data).toBeUndefined();
      expect(response.errors).toHaveLength(1);
      expect(response.errors![0]!.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
      expect(response.text).not.toContain('queryType');
    });

    it('answers introspection when GRAPHQL_INTROSPECTION=true', async () => {
      const introspective = await started({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' });

      const response = await introspective.gql(INTROSPECTION);

      expect(response.status).toBe(200);
      expect(response.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    });

    it('answers a validation failure with its code and no stacktrace', async () => {
      const response = await production.gql('{ me { id passwordHash } }');

      expect(response.status).toBe(400);
      expect(response.errors).toHaveLength(1);
      expect(response.errors![0]!.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
      expect(response.text).not.toMatch(INTERNAL_TEXT);
    });
  });
}

// Attack: learning the schema or the internals from a production server: introspection, and stack
// traces or driver messages in errors (SPEC §5, §8). Production refuses the embedded stores, so this
// needs the real PostgreSQL and Redis.
import { getIntrospectionQuery } from 'graphql';
import { realPostgresUrl, realRedisUrl } from '../../helpers/backends';
import { LOGIN, parseResponse, type GraphQLResponse } from '../../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../../helpers/test-server';

/** What a stack trace, a driver or the runtime would say. */
const INTERNALS = /stacktrace|\bat .+:\d+:\d+|node_modules|\/src\/|\.ts\b|prisma|postgres|ioredis|ECONN|TypeError|ReferenceError|SyntaxError: Unexpected/i;

const production = realPostgresUrl() && realRedisUrl() ? describe : describe.skip;

production('a production server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ env: { NODE_ENV: 'production' } });
  });
  afterAll(async () => {
    await server.close();
    await releaseTestResources();
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(parseResponse);

  it.each([
    ['the full introspection query', getIntrospectionQuery()],
    ['a __schema probe', '{ __schema { types { name } } }'],
    ['a __type probe', '{ __type(name: "User") { fields { name } } }'],
  ])('refuses %s with GRAPHQL_VALIDATION_FAILED and no schema', async (_name, query) => {
    const response = await server.gql(query);

    expect(response.status).toBe(400);
    expect(response.data).toBeUndefined();
    expect(response.errors!.map((error) => error.extensions)).toEqual(response.errors!.map(() => ({ code: 'GRAPHQL_VALIDATION_FAILED' })));
    expect(response.text).not.toMatch(/AuthPayload|passwordHash|LoginInput/);
  });

  it.each<[string, () => Promise<GraphQLResponse>]>([
    ['a parse error', () => server.gql('{ me { ')],
    ['an unknown field', () => server.gql('{ me { passwordHash } }')],
    ['variables of the wrong type', () => server.gql(LOGIN, { input: { email: 42, password: ['x'] } })],
    ['an unknown operation name', () => post(JSON.stringify({ query: '{ __typename }', operationName: 'Nope' }))],
    ['a query that is not a string', () => post(JSON.stringify({ query: { evil: true } }))],
    ['malformed JSON', () => post('{"query": ')],
    ['a forged token on me', () => server.gql('{ me { id } }', {}, { token: 'eyJhbGciOiJIUzI1NiJ9.e30.x' })],
    ['a mutation over GET', () => fetch(`${server.url}?query=${encodeURIComponent('mutation { logout }')}`, { headers: { 'apollo-require-preflight': '1' } }).then(parseResponse)],
  ])('answers %s with codes and messages only: no stack trace or driver text', async (_name, request) => {
    const response = await request();

    expect(response.status).toBeLessThan(500);
    expect(response.errors?.length).toBeGreaterThan(0);
    for (const error of response.errors!) expect(typeof error.extensions?.code).toBe('string');
    expect(response.text).not.toMatch(INTERNALS);
  });

  it('answers a body carrying __proto__ and constructor keys as an ordinary request, and pollutes nothing', async () => {
    const response = await post('{"query":"{ __typename }","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');

    expect(response.status).toBe(200);
    expect(response.data).toEqual({ __typename: 'Query' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

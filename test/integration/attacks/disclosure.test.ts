// Attack: learning the schema or the internals from a production server: introspection, federation's
// _service SDL, and stack traces or driver messages in errors (SPEC §5, §8). Production refuses the embedded stores, so this
// needs the real PostgreSQL and Redis.
import { getIntrospectionQuery } from 'graphql';
import { realPostgresUrl, realRedisUrl } from '../../helpers/backends';
import { SERVICE_SDL_REFUSED_MESSAGE } from '../../../src/graphql/federation-sdl.rule';
import { LOGIN, parseResponse, registerUser, type GraphQLResponse } from '../../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../../helpers/test-server';

/** What a stack trace, a driver or the runtime would say. */
const INTERNALS = /stacktrace|\bat .+:\d+:\d+|node_modules|\/src\/|\.ts\b|prisma|postgres|ioredis|ECONN|TypeError|ReferenceError|SyntaxError: Unexpected/i;

const production = realPostgresUrl() && realRedisUrl() ? describe : describe.skip;

afterAll(() => releaseTestResources());

production('a production server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ env: { NODE_ENV: 'production' } });
  });
  afterAll(async () => {
    await server.close();
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

  it.each([
    ['the SDL', '{ _service { sdl } }'],
    ['the SDL under an alias', '{ schema: _service { text: sdl } }'],
    ['the SDL through a fragment', 'query { ...Sdl } fragment Sdl on Query { _service { sdl } }'],
    ['the SDL beside an allowed field', '{ __typename ... on Query { _service { sdl } } }'],
  ])('refuses %s from federation\'s _service to an anonymous caller with GRAPHQL_VALIDATION_FAILED', async (_name, query) => {
    const response = await server.gql(query);

    expect(response.status).toBe(400);
    expect(response.data).toBeUndefined();
    expect(response.errors).toEqual([{ message: SERVICE_SDL_REFUSED_MESSAGE, locations: expect.any(Array), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }]);
    expect(response.text).not.toMatch(/AuthPayload|LoginInput|@key|@link/);
  });

  it('refuses _service even to a signed-in user: the SDL is for the supergraph build, not for callers', async () => {
    const alice = await registerUser(server);
    const response = await server.gql('{ _service { sdl } }', {}, { token: alice.accessToken });

    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(response.text).not.toContain('AuthPayload');
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

const SDL = /type User\s+@key\(fields: "id"\)/;

production('a production server with GRAPHQL_INTROSPECTION=true (for a gateway that introspects)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer({ env: { NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('serves the SDL from _service', async () => {
    const response = await server.gql('{ _service { sdl } }');

    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data!._service.sdl).toMatch(SDL);
  });
});

describe('a server outside production', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await createTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('serves the SDL from _service, as introspection is on', async () => {
    const response = await server.gql('{ _service { sdl } }');

    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data!._service.sdl).toMatch(SDL);
  });
});

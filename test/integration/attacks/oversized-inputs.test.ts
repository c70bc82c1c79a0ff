// Attack: inputs big enough to cost memory or hashing time (SPEC §3 body limit, §4 password bounds).
import { CountingHasher } from '../../helpers/counting-hasher';
import { userCount } from '../../helpers/effects';
import { LOGIN, ME, REGISTER, newUser, parseResponse, registerUser } from '../../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../../helpers/test-server';

let server: TestServer;
let hasher: CountingHasher;
beforeAll(async () => {
  hasher = new CountingHasher();
  server = await createTestServer({ hasher });
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

const MB = 1024 * 1024;
/** Just under the default 1 MB body limit once wrapped in JSON, so the resolver, not the body parser, sees it. */
const ALMOST_1_MB = MB - 2_048;

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(parseResponse);

describe('oversized requests', () => {
  it('refuses a 5 MB body with 413 before anything runs', async () => {
    const input = newUser({ password: 'p'.repeat(5 * MB) });
    const work = hasher.total;

    const response = await post(JSON.stringify({ query: REGISTER, variables: { input } }));

    expect(response.status).toBe(413);
    expect(response.errors).toEqual([{ message: 'Request body is too large', extensions: { code: 'BAD_REQUEST' } }]);
    expect(hasher.total).toBe(work);
    expect(await userCount(server, [input.email])).toBe(0);
  });

  it.each([
    ['Authorization', { authorization: `Bearer ${'a'.repeat(32 * 1024)}` }],
    ['Cookie', { cookie: `access_token=${'a'.repeat(32 * 1024)}` }],
  ])('refuses a 32 kB %s header with a 4xx, never a 5xx', async (_name, headers) => {
    const response = await post(JSON.stringify({ query: ME }), headers);

    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it('still answers normally right after those (the server was not hurt)', async () => {
    const { accessToken, user } = await registerUser(server);
    const response = await server.gql(ME, {}, { token: accessToken });
    expect(response.data!.me.id).toBe(user.id);
  });
});

describe('oversized fields', () => {
  it('refuses a 1 MB password at registration with BAD_USER_INPUT, without hashing or creating the user', async () => {
    const input = newUser({ password: 'p'.repeat(ALMOST_1_MB) });
    const work = hasher.total;

    const response = await server.gql(REGISTER, { input });

    expect(response.status).toBe(200);
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]!.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'password', message: 'must be at most 128 characters' }],
    });
    expect(response.text.length).toBeLessThan(1_000); // the password is not echoed back
    expect(hasher.total).toBe(work);
    expect(await userCount(server, [input.email])).toBe(0);
  });

  it('refuses a 1 MB password at login with the generic UNAUTHENTICATED, without hashing', async () => {
    const { input } = await registerUser(server);
    const work = hasher.total;

    const response = await server.gql(LOGIN, { input: { email: input.email, password: 'p'.repeat(ALMOST_1_MB) } });

    expect(response.errors?.map((error) => [error.extensions?.code, error.message])).toEqual([['UNAUTHENTICATED', 'Invalid email or password']]);
    expect(hasher.total).toBe(work);
  });

  it('refuses a 1 MB email and a 1 MB name at registration with BAD_USER_INPUT, without hashing', async () => {
    const work = hasher.total;
    const response = await server.gql(REGISTER, { input: newUser({ email: `${'e'.repeat(ALMOST_1_MB / 2)}@example.com`, name: 'n'.repeat(ALMOST_1_MB / 2) }) });

    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((response.errors![0]!.extensions!.fields as Array<{ field: string }>).map((field) => field.field).sort()).toEqual(['email', 'name']);
    expect(hasher.total).toBe(work);
  });
});

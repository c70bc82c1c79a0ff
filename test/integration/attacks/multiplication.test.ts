// Attack: multiplying password checks or refreshes inside one HTTP request (aliases, fragments,
// batching, _entities fan-out), which HTTP-path rate limiters never see (SPEC §8).
import { CountingHasher } from '../../helpers/counting-hasher';
import { expectSessionCount, userCount } from '../../helpers/effects';
import { REFRESH, newUser, parseResponse, registerUser, type GraphQLResponse } from '../../helpers/graphql';
import { decodeJwt } from '../../helpers/tokens';
import { createTestServer, releaseTestResources, type TestServer } from '../../helpers/test-server';
import { hashTokenId } from '../../../src/sessions/session-store';

const ONCE = 'An operation may select login, register, refresh, changePassword, clientToken or signInWithIdToken only once';

let server: TestServer;
let hasher: CountingHasher;
beforeAll(async () => {
  hasher = new CountingHasher();
  server = await createTestServer({ hasher, env: { GRAPHQL_MAX_ENTITIES: '20' } });
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

const literal = (value: string) => JSON.stringify(value);
const loginField = (alias: string, email: string, password: string) =>
  `${alias}: login(input: { email: ${literal(email)}, password: ${literal(password)} }) { accessToken }`;

/** Refused at validation: HTTP 400, no data, every error GRAPHQL_VALIDATION_FAILED, the credential rule among them. */
function expectRefusedUpFront(response: GraphQLResponse): void {
  expect(response.status).toBe(400);
  expect(response.data).toBeUndefined();
  expect(response.errors!.every((error) => error.extensions?.code === 'GRAPHQL_VALIDATION_FAILED')).toBe(true);
  expect(response.errors!.map((error) => error.message)).toContain(ONCE);
  expect(response.cookies).toEqual({});
}

describe('aliased and fragmented credential fields', () => {
  it('refuses 100 aliased login fields in one request before any password check, and creates no session', async () => {
    const { input, user } = await registerUser(server);
    const guesses = Array.from({ length: 99 }, (_, i) => loginField(`g${i}`, input.email, `guess number ${i}`));
    const work = hasher.total;

    const response = await server.gql(`mutation { ${[...guesses, loginField('right', input.email, input.password)].join('\n')} }`);

    expectRefusedUpFront(response);
    expect(hasher.total).toBe(work);
    await expectSessionCount(server, user.id, 1);
  });

  it('refuses two logins, the smallest multiplication, with exactly the one credential-field error', async () => {
    const { input } = await registerUser(server);
    const response = await server.gql(`mutation { ${loginField('a', input.email, 'x1')} ${loginField('b', input.email, input.password)} }`);

    expectRefusedUpFront(response);
    expect(response.errors).toHaveLength(1);
  });

  it('finds credential fields hidden in named and inline fragments, and a login mixed with register or refresh', async () => {
    const { input } = await registerUser(server);
    const fresh = newUser();
    const documents = [
      `mutation { ...A ...B } fragment A on Mutation { ${loginField('a', input.email, 'x')} } fragment B on Mutation { ${loginField('b', input.email, 'y')} }`,
      `mutation { ... on Mutation { ${loginField('a', input.email, 'x')} } ... on Mutation { ... on Mutation { ${loginField('b', input.email, 'y')} } } }`,
      `mutation { ${loginField('a', input.email, 'x')} register(input: { email: ${literal(fresh.email)}, password: "long enough pass", name: "Eve" }) { accessToken } }`,
      `mutation { ${loginField('a', input.email, 'x')} refresh { accessToken } }`,
    ];
    const work = hasher.total;

    for (const document of documents) expectRefusedUpFront(await server.gql(document));

    expect(hasher.total).toBe(work);
    expect(await userCount(server, [fresh.email])).toBe(0);
  });

  it('still runs one aliased login next to other mutations (the control for the cases above)', async () => {
    const { input } = await registerUser(server);
    const response = await server.gql(`mutation { ${loginField('signIn', input.email, input.password)} logout }`);

    expect(response.status).toBe(200);
    expect(response.data!.signIn.accessToken).toEqual(expect.any(String));
  });

  it('refuses 50 aliased refresh fields with one token, and the token is neither rotated nor revoked', async () => {
    const { refreshToken, user } = await registerUser(server);
    const fields = Array.from({ length: 50 }, (_, i) => `r${i}: refresh(refreshToken: ${literal(refreshToken)}) { accessToken }`);

    expectRefusedUpFront(await server.gql(`mutation { ${fields.join('\n')} }`));

    const { sid, jti } = decodeJwt(refreshToken).payload;
    expect((await server.sessions.get(sid, user.id))?.refreshJtiHash).toBe(hashTokenId(jti));
    const once = await server.gql(REFRESH, { refreshToken });
    expect(once.errors).toBeUndefined();
  });
});

describe('HTTP batching', () => {
  it('refuses a JSON array of login operations with 400 before any password check', async () => {
    const { input } = await registerUser(server);
    const operation = (password: string) => ({
      query: 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }',
      variables: { input: { email: input.email, password } },
    });
    const work = hasher.total;

    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 20 }, (_, i) => operation(`batched guess ${i}`))),
    }).then(parseResponse);

    expect(response.status).toBe(400);
    expect(response.errors).toEqual([{ message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST' } }]);
    expect(hasher.total).toBe(work);
  });
});

describe('federation _entities fan-out', () => {
  const ENTITIES = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }';

  it('refuses more representations than GRAPHQL_MAX_ENTITIES in one call with BAD_USER_INPUT', async () => {
    const { accessToken, user } = await registerUser(server);
    const representations = Array.from({ length: 5_000 }, () => ({ __typename: 'User', id: user.id }));

    const response = await server.gql(ENTITIES, { r: representations }, { token: accessToken });

    expect(response.data).toBeNull();
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]!.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      fields: [{ field: 'representations', message: 'must list at most 20 entities' }],
    });
  });

  it('resolves up to GRAPHQL_MAX_ENTITIES representations (the control)', async () => {
    const { accessToken, user } = await registerUser(server);
    const response = await server.gql(ENTITIES, { r: Array.from({ length: 20 }, () => ({ __typename: 'User', id: user.id })) }, { token: accessToken });

    expect(response.errors).toBeUndefined();
    expect(response.data!._entities).toHaveLength(20);
  });
});

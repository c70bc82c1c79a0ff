import { TokenService } from '../../src/auth/tokens';
import { LOGIN, ME, registerUser } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

const ENTITIES = /* GraphQL */ `
  query Entities($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on User { id name email role } }
  }
`;

const sessionOf = (token: string): { sub: string; sid: string } =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

describe('federation subgraph', () => {
  it('publishes a Federation 2 SDL in which User is an entity keyed by id', async () => {
    const response = await server.gql('{ _service { sdl } }');
    const sdl: string = response.data!._service.sdl;
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.7"');
    expect(sdl).toMatch(/type User\s+@key\(fields: "id"\)/);
    expect(sdl).toContain('me: User!');
  });

  it('returns an inline trace (ftv1) to a router that asks for one, and none to a request that does not', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ __typename }' }) });
    const asked = (await (await post({ 'apollo-federation-include-trace': 'ftv1' })).json()) as { data: unknown; extensions?: { ftv1?: unknown } };
    const plain = (await (await post({})).json()) as { data: unknown; extensions?: unknown };

    expect(asked.data).toEqual({ __typename: 'Query' });
    expect(asked.extensions?.ftv1).toEqual(expect.stringMatching(/^[A-Za-z0-9+/]+=*$/));
    expect(plain).toEqual({ data: { __typename: 'Query' } });
  });

  it('resolves users by reference for an authenticated caller, hiding other users\' emails', async () => {
    const alice = await registerUser(server);
    const bob = await registerUser(server);
    const response = await server.gql(
      ENTITIES,
      { representations: [{ __typename: 'User', id: alice.user.id }, { __typename: 'User', id: bob.user.id }] },
      { token: alice.accessToken },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities).toEqual([
      { id: alice.user.id, name: alice.input.name, email: alice.input.email, role: 'USER' },
      { id: bob.user.id, name: bob.input.name, email: null, role: 'USER' },
    ]);
  });

  it('refuses _entities to anonymous callers with UNAUTHENTICATED and no user data', async () => {
    const alice = await registerUser(server);
    const response = await server.gql(ENTITIES, { representations: [{ __typename: 'User', id: alice.user.id }] });
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(response.data ?? {})).not.toContain(alice.input.email);
    expect(JSON.stringify(response.data ?? {})).not.toContain(alice.input.name);
  });

  it('answers null for a reference to a user that does not exist', async () => {
    const alice = await registerUser(server);
    const response = await server.gql(
      ENTITIES,
      { representations: [{ __typename: 'User', id: '00000000-0000-4000-8000-000000000000' }, { __typename: 'User', id: 'not-a-uuid' }] },
      { token: alice.accessToken },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities).toEqual([null, null]);
  });

  it('shows every email to an ADMIN', async () => {
    const admin = await registerUser(server);
    const other = await registerUser(server);
    await server.database.prisma.user.update({ where: { id: admin.user.id }, data: { role: 'ADMIN' } });
    const login = await server.gql(LOGIN, { input: { email: admin.input.email, password: admin.input.password } });
    const token = login.data!.login.accessToken;

    const response = await server.gql(ENTITIES, { representations: [{ __typename: 'User', id: other.user.id }] }, { token });
    expect(response.data!._entities).toEqual([expect.objectContaining({ email: other.input.email })]);
  });

  it('shows every email to a caller whose token carries the users:read scope', async () => {
    const reader = await registerUser(server);
    const other = await registerUser(server);
    const { sub, sid } = sessionOf(reader.accessToken);
    const tokens = new TokenService(server.keys, server.config.jwt);
    const scoped = tokens.signAccess({ sub, sid, role: 'USER', scope: 'profile:read users:read' }).token;

    const response = await server.gql(ENTITIES, { representations: [{ __typename: 'User', id: other.user.id }] }, { token: scoped });
    expect(response.data!._entities).toEqual([expect.objectContaining({ email: other.input.email })]);
  });

  it('answers me with UNAUTHENTICATED for anonymous callers', async () => {
    const response = await server.gql(ME);
    expect(response.status).toBe(200);
    expect(response.data).toBeNull();
    expect(response.errors?.[0]).toMatchObject({ message: 'Authentication required', extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('refuses me once the user was deleted, even with a live session', async () => {
    const alice = await registerUser(server);
    await server.database.prisma.user.delete({ where: { id: alice.user.id } });
    const response = await server.gql(ME, {}, { token: alice.accessToken });
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

// Scopes routers understand: `scope` derived from the role through ROLE_SCOPES, @authenticated and
// @requiresScopes in the SDL and enforced by the subgraph itself; forged identity headers change nothing.
import { LOGIN, ME, registerUser } from '../helpers/graphql';
import { claimsFor, decodeJwt, signWith } from '../helpers/tokens';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const servers: TestServer[] = [];
let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
  servers.push(server);
});
afterAll(async () => {
  for (const each of servers) await each.close();
  await releaseTestResources();
});

const ENTITIES = /* GraphQL */ `
  query Entities($representations: [_Any!]!) {
    _entities(representations: $representations) { ... on User { id email } }
  }
`;

const sessionOf = (token: string) => decodeJwt(token).payload as { sub: string; sid: string };

async function loginAsAdmin(target: TestServer) {
  const admin = await registerUser(target);
  await target.database.prisma.user.update({ where: { id: admin.user.id }, data: { role: 'ADMIN' } });
  const login = await target.gql(LOGIN, { input: { email: admin.input.email, password: admin.input.password } });
  return { ...admin, accessToken: login.data!.login.accessToken as string };
}

describe('the scope claim', () => {
  it('carries the role\'s scopes from the default ROLE_SCOPES as one space-separated string', async () => {
    const user = await registerUser(server);
    const admin = await loginAsAdmin(server);

    expect(decodeJwt(user.accessToken).payload.scope).toBe('profile:read');
    expect(decodeJwt(admin.accessToken).payload.scope).toBe('profile:read admin users:read users:write');
  });

  it('follows a configured ROLE_SCOPES', async () => {
    const custom = await createTestServer({ env: { ROLE_SCOPES: 'USER=profile:read,orders:read;ADMIN=profile:read,admin' } });
    servers.push(custom);
    const user = await registerUser(custom);
    const admin = await loginAsAdmin(custom);

    expect(decodeJwt(user.accessToken).payload.scope).toBe('profile:read orders:read');
    expect(decodeJwt(admin.accessToken).payload.scope).toBe('profile:read admin');
    const users = await custom.gql('{ users(first: 1) { totalCount } }', {}, { token: user.accessToken });
    expect(users.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(users.data).toBeNull();
  });
});

describe('federation authorization directives', () => {
  it('marks me @authenticated and @requiresScopes(profile:read) in the SDL a router composes', async () => {
    const response = await server.gql('{ _service { sdl } }');
    const sdl: string = response.data!._service.sdl;

    expect(sdl).toContain('import: ["@key", "@authenticated", "@requiresScopes"]');
    expect(sdl).toMatch(/me: User! @authenticated @requiresScopes\(scopes: \[\["profile:read"\]\]\)/);
  });

  it('enforces @requiresScopes itself: a live session whose token lacks profile:read gets FORBIDDEN and no user data', async () => {
    const alice = await registerUser(server);
    for (const scope of [undefined, 'orders:read', 'profile:readx', 'PROFILE:READ']) {
      const token = signWith(server.keys.access, claimsFor(server, { ...sessionOf(alice.accessToken), scope }));
      const response = await server.gql(ME, {}, { token });
      expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(response.data).toBeNull();
      expect(response.text).not.toContain(alice.input.email);
    }
    const granted = signWith(server.keys.access, claimsFor(server, { ...sessionOf(alice.accessToken), scope: 'orders:read profile:read' }));
    expect((await server.gql(ME, {}, { token: granted })).data?.me.id).toBe(alice.user.id);
  });

  it('enforces @authenticated itself: anonymous me answers UNAUTHENTICATED, not FORBIDDEN', async () => {
    const response = await server.gql(ME);
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.data).toBeNull();
  });
});

describe('identity headers sent by a client', () => {
  const forged = (userId: string): Record<string, string> => ({
    'x-user-id': userId,
    'x-user-role': 'ADMIN',
    'x-user-scopes': 'profile:read users:read',
    'x-scope': 'users:read',
    'x-forwarded-user': userId,
    'x-portcullis-sub': userId,
    'x-authenticated-userid': userId,
    'remote-user': userId,
  });

  it('are ignored by an anonymous request: me is still UNAUTHENTICATED', async () => {
    const alice = await registerUser(server);
    const response = await server.gql(ME, {}, { headers: forged(alice.user.id) });

    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.data).toBeNull();
    expect(response.text).not.toContain(alice.input.email);
  });

  it('cannot turn one user into another, nor lend them ADMIN or users:read to read emails', async () => {
    const alice = await registerUser(server);
    const mallory = await registerUser(server);
    const headers = forged(alice.user.id);

    const me = await server.gql(ME, {}, { token: mallory.accessToken, headers });
    expect(me.data?.me).toMatchObject({ id: mallory.user.id, email: mallory.input.email, role: 'USER' });
    const entities = await server.gql(ENTITIES, { representations: [{ __typename: 'User', id: alice.user.id }] }, { token: mallory.accessToken, headers });
    expect(entities.data?._entities).toEqual([{ id: alice.user.id, email: null }]);
  });
});

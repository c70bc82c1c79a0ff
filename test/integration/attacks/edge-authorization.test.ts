// Issue 15: every operation that needs a caller says so in the SDL (@authenticated, @requiresScopes),
// and the subgraph refuses exactly what a router reading it would — anonymous callers, machine clients
// on a user's own operations, and tokens without the scope (the ADMIN role is the scope `admin`).
// Each attack asserts the exact code and that nothing changed. test/unit/authorization-directives.test.ts
// checks the same rule on every field.
import jwt from 'jsonwebtoken';
import { codeOf, logIn, newAccount, newAdmin, sessionIdOf, withScopes } from '../../helpers/accounts';
import { clientTokenFor, newClient } from '../../helpers/clients';
import { LOGIN, ME } from '../../helpers/graphql';
import { CHANGE_PASSWORD } from '../../helpers/recovery';
import { createTestServer, releaseTestResources, type TestServer } from '../../helpers/test-server';

const LIMITS = { RATE_LIMIT_REGISTER_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000' };
const SESSIONS = /* GraphQL */ `query Sessions { sessions { id } }`;
const REVOKE_SESSION = /* GraphQL */ `mutation RevokeSession($id: ID!) { revokeSession(id: $id) }`;
const SET_ROLE = /* GraphQL */ `mutation SetUserRole($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { id role } }`;
const AUDIT = /* GraphQL */ `query Audit { auditEvents(first: 1) { totalCount } }`;
const USERS = /* GraphQL */ `query Users { users(first: 1) { totalCount } }`;

const servers: TestServer[] = [];
let server: TestServer;
beforeAll(async () => {
  server = await createTestServer({ env: LIMITS });
  servers.push(server);
});
afterAll(async () => {
  for (const each of servers) await each.close();
  await releaseTestResources();
});

async function sdlOf(target: TestServer): Promise<string> {
  return (await target.gql('{ _service { sdl } }')).data!._service.sdl as string;
}

async function roleOf(id: string): Promise<string> {
  return (await server.database.pool.query<{ role: string }>('SELECT role FROM users WHERE id = $1', [id])).rows[0]!.role;
}

describe('the SDL a router composes', () => {
  it('marks the viewer\'s own operations @authenticated and @requiresScopes(profile:read), and admin ones with admin or their scope', async () => {
    const sdl = await sdlOf(server);
    expect(sdl).toMatch(/sessions: \[Session!\]! @authenticated @requiresScopes\(scopes: \[\["profile:read"\]\]\)/);
    expect(sdl).toMatch(/revokeSession\(id: ID!\): Boolean! @authenticated @requiresScopes\(scopes: \[\["profile:read"\]\]\)/);
    expect(sdl).toMatch(/\): Boolean! @authenticated @requiresScopes\(scopes: \[\["profile:read"\]\]\)\n/); // changePassword's arguments span lines
    expect(sdl).toMatch(/setUserRole\(role: Role!, id: ID!\): User! @authenticated @requiresScopes\(scopes: \[\["admin"\]\]\)/);
    expect(sdl).toMatch(/\): AuthEventConnection! @authenticated @requiresScopes\(scopes: \[\["admin"\], \["audit:read"\]\]\)/);
  });
});

describe('operations refused at the edge are refused by the subgraph too', () => {
  it('answers anonymous sessions, changePassword and revokeSession UNAUTHENTICATED, changing nothing', async () => {
    const alice = await newAccount(server);
    const responses = [
      await server.gql(SESSIONS),
      await server.gql(CHANGE_PASSWORD, { currentPassword: alice.password, newPassword: 'a brand new passphrase' }),
      await server.gql(REVOKE_SESSION, { id: sessionIdOf(alice.accessToken) }),
    ];
    for (const response of responses) {
      expect(codeOf(response)).toBe('UNAUTHENTICATED');
      expect(response.data).toBeNull();
    }
    expect((await server.gql(ME, {}, { token: alice.accessToken })).data?.me.id).toBe(alice.id);
    expect((await server.gql(LOGIN, { input: { email: alice.email, password: alice.password } })).data?.login.user.id).toBe(alice.id);
  });

  it('answers a machine client holding every grantable scope FORBIDDEN on a user\'s own operations and on ADMIN-only ones', async () => {
    const alice = await newAccount(server);
    const client = await newClient(server, ['users:read', 'users:write', 'audit:read']);
    const token = await clientTokenFor(server, client);
    for (const [operation, variables] of [
      [SESSIONS, {}],
      [CHANGE_PASSWORD, { currentPassword: alice.password, newPassword: 'a brand new passphrase' }],
      [REVOKE_SESSION, { id: sessionIdOf(alice.accessToken) }],
      [SET_ROLE, { id: alice.id, role: 'ADMIN' }],
    ] as const) {
      const response = await server.gql(operation, variables, { token });
      expect([operation, codeOf(response)]).toEqual([operation, 'FORBIDDEN']);
      expect(response.data).toBeNull();
    }
    expect(await roleOf(alice.id)).toBe('USER');
    expect((await server.gql(ME, {}, { token: alice.accessToken })).data?.me.id).toBe(alice.id);
    expect((await server.gql(AUDIT, {}, { token })).data?.auditEvents.totalCount).toEqual(expect.any(Number)); // its scope still works
  });

  it('never lets a machine client act with admin or profile:read, even when its stored scopes were edited to hold them', async () => {
    const alice = await newAccount(server);
    const client = await newClient(server, ['users:read']);
    // A hand-edited row (or a future migration) gives the client scopes no client may hold.
    await server.database.pool.query(`UPDATE service_clients SET scopes = ARRAY['users:read', 'admin', 'profile:read'] WHERE id = $1`, [client.id]);
    const token = await clientTokenFor(server, client);
    for (const [operation, variables] of [
      [SET_ROLE, { id: alice.id, role: 'ADMIN' }],
      [SESSIONS, {}],
    ] as const) {
      const response = await server.gql(operation, variables, { token });
      expect([operation, codeOf(response)]).toEqual([operation, 'FORBIDDEN']);
      expect(response.data).toBeNull();
    }
    expect(await roleOf(alice.id)).toBe('USER');
    expect((await server.gql(USERS, {}, { token })).data?.users.totalCount).toEqual(expect.any(Number)); // its real scope still works
  });

  it('goes by the token\'s scopes alone: an ADMIN token without admin is FORBIDDEN on setUserRole, a USER\'s with users:read may list users', async () => {
    const admin = await newAdmin(server);
    const target = await newAccount(server);
    // An ADMIN's token as issued before `admin` was among ADMIN's scopes.
    const older = withScopes(server, admin, ['profile:read', 'users:read', 'users:write'], 'ADMIN');
    const refused = await server.gql(SET_ROLE, { id: target.id, role: 'ADMIN' }, { token: older });
    expect(codeOf(refused)).toBe('FORBIDDEN');
    expect(refused.data).toBeNull();
    expect(await roleOf(target.id)).toBe('USER');
    expect(codeOf(await server.gql(AUDIT, {}, { token: older }))).toBe('FORBIDDEN');

    expect(jwt.decode(admin.accessToken)).toMatchObject({ role: 'ADMIN', scope: 'profile:read admin users:read users:write' });
    expect((await server.gql(AUDIT, {}, { token: admin.accessToken })).errors).toBeUndefined(); // admin, without audit:read
    const reader = withScopes(server, target, ['profile:read', 'users:read']);
    expect((await server.gql(USERS, {}, { token: reader })).errors).toBeUndefined();
    expect(codeOf(await server.gql(USERS, {}, { token: target.accessToken }))).toBe('FORBIDDEN');
  });

  it('with FEDERATION_AUTH_DIRECTIVES=false publishes neither directive and still refuses the same calls', async () => {
    const gatewayServer = await createTestServer({ env: { ...LIMITS, FEDERATION_AUTH_DIRECTIVES: 'false' } });
    servers.push(gatewayServer);
    expect(await sdlOf(gatewayServer)).not.toMatch(/@authenticated|@requiresScopes/);
    const bob = await newAccount(gatewayServer);
    const again = await logIn(gatewayServer, bob);
    expect(codeOf(await gatewayServer.gql(SESSIONS))).toBe('UNAUTHENTICATED');
    expect(codeOf(await gatewayServer.gql(SET_ROLE, { id: bob.id, role: 'ADMIN' }, { token: bob.accessToken }))).toBe('FORBIDDEN');
    expect((await gatewayServer.gql(REVOKE_SESSION, { id: sessionIdOf(again.accessToken) }, { token: bob.accessToken })).data).toEqual({ revokeSession: true });
  });
});

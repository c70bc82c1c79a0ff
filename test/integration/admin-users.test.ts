// Admin operations on users (issue 6): users, setUserRole, disableUser, enableUser — authorization,
// effect (sessions revoked at once, the last admin kept) and bad input.
import { codeOf, logIn, newAccount, newAdmin, withScopes, type Account } from '../helpers/accounts';
import { LOGIN, ME, REFRESH, type GraphQLResponse } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const LIMITS = { RATE_LIMIT_REGISTER_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000' };

const USERS = /* GraphQL */ `
  query Users($first: Int, $after: String, $search: String) {
    users(first: $first, after: $after, search: $search) {
      totalCount
      edges { cursor node { id email name role } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;
const SET_ROLE = /* GraphQL */ `mutation SetUserRole($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { id role } }`;
const DISABLE = /* GraphQL */ `mutation DisableUser($id: ID!) { disableUser(id: $id) { id email } }`;
const ENABLE = /* GraphQL */ `mutation EnableUser($id: ID!) { enableUser(id: $id) { id email } }`;

let server: TestServer;

beforeAll(async () => {
  server = await createTestServer({ env: LIMITS });
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

async function row(id: string): Promise<{ role: string; active: boolean }> {
  const result = await server.database.pool.query<{ role: string; active: boolean }>('SELECT role, active FROM users WHERE id = $1', [id]);
  return result.rows[0]!;
}

async function expectLive(account: Pick<Account, 'accessToken'>): Promise<void> {
  expect((await server.gql(ME, {}, { token: account.accessToken })).errors).toBeUndefined();
}

async function expectRevoked(account: Pick<Account, 'accessToken' | 'refreshToken'>): Promise<void> {
  expect(codeOf(await server.gql(ME, {}, { token: account.accessToken }))).toBe('UNAUTHENTICATED');
  expect(codeOf(await server.gql(REFRESH, { refreshToken: account.refreshToken }))).toBe('UNAUTHENTICATED');
}

/** Leaves `keep` as the only active ADMIN in this file's database. */
async function onlyAdmin(keep: Account): Promise<void> {
  await server.database.pool.query(`UPDATE users SET role = 'USER' WHERE id <> $1`, [keep.id]);
}

describe('users', () => {
  it('answers UNAUTHENTICATED to anonymous callers and FORBIDDEN to users and to scopes other than users:read, with no data', async () => {
    const user = await newAccount(server);
    for (const [token, code] of [
      [undefined, 'UNAUTHENTICATED'],
      [user.accessToken, 'FORBIDDEN'],
      [withScopes(server, user, ['users:write', 'audit:read']), 'FORBIDDEN'],
    ] as const) {
      const response = await server.gql(USERS, {}, { token });
      expect(codeOf(response)).toBe(code);
      expect(response.data).toBeNull();
      expect(response.text).not.toContain(user.email);
    }
  });

  it('lets an ADMIN, and a token with scope users:read, list users with their emails', async () => {
    const admin = await newAdmin(server);
    const user = await newAccount(server);
    const reader = withScopes(server, await newAccount(server), ['users:read']);

    for (const token of [admin.accessToken, reader]) {
      const response = await server.gql(USERS, { first: 100 }, { token });
      expect(response.errors).toBeUndefined();
      const nodes = (response.data!.users.edges as Array<{ node: Record<string, unknown> }>).map((edge) => edge.node);
      expect(nodes).toContainEqual({ id: user.id, email: user.email, name: expect.any(String), role: 'USER' });
      expect(nodes).toContainEqual(expect.objectContaining({ id: admin.id, role: 'ADMIN' }));
    }
  });

  it('pages through a search with first/after: every match once, oldest first, with Relay page info and a total', async () => {
    const admin = await newAdmin(server);
    const tag = `pager${Date.now().toString(36)}`;
    const created: Account[] = [];
    for (let index = 0; index < 5; index += 1) created.push(await newAccount(server, {}).then(async (account) => {
      await server.database.pool.query('UPDATE users SET name = $2 WHERE id = $1', [account.id, `${tag.toUpperCase()} ${index}`]);
      return account;
    }));

    const seen: string[] = [];
    let after: string | null = null;
    const pages: Array<Record<string, any>> = [];
    do {
      const response: GraphQLResponse = await server.gql(USERS, { first: 2, after, search: tag }, { token: admin.accessToken });
      expect(response.errors).toBeUndefined();
      const connection: Record<string, any> = response.data!.users;
      pages.push(connection);
      seen.push(...connection.edges.map((edge: { node: { id: string } }) => edge.node.id));
      after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
    } while (after);

    expect(seen).toEqual(created.map((account) => account.id));
    expect(pages.map((page) => page.edges.length)).toEqual([2, 2, 1]);
    expect(pages.map((page) => page.totalCount)).toEqual([5, 5, 5]);
    expect(pages.map((page) => page.pageInfo.hasPreviousPage)).toEqual([false, true, true]);
    expect(pages[0]!.pageInfo.startCursor).toBe(pages[0]!.edges[0].cursor);
  });

  it('matches the search against email or name case-insensitively, and treats % and _ literally', async () => {
    const admin = await newAdmin(server);
    const account = await newAccount(server);
    const search = async (text: string) => {
      const response = await server.gql(USERS, { first: 100, search: text }, { token: admin.accessToken });
      return (response.data!.users.edges as Array<{ node: { id: string } }>).map((edge) => edge.node.id);
    };

    const odd = await newAccount(server);
    await server.database.pool.query('UPDATE users SET name = $2 WHERE id = $1', [odd.id, 'Percy 100%_\\ Sure']);

    expect(await search(account.email.toUpperCase())).toEqual([account.id]);
    expect(await search('%')).toEqual([odd.id]);
    expect(await search('_')).toEqual([odd.id]);
    expect(await search('\\')).toEqual([odd.id]);
    expect(await search('percy 100%_')).toEqual([odd.id]);
    expect((await search('   ')).length).toBeGreaterThan(1); // blank: no filter
  });

  it('answers BAD_USER_INPUT naming every bad argument: first out of 1–100, a forged cursor, an over-long search', async () => {
    const admin = await newAdmin(server);
    const response = await server.gql(USERS, { first: 0, after: 'not-a-cursor', search: 'x'.repeat(255) }, { token: admin.accessToken });

    expect(codeOf(response)).toBe('BAD_USER_INPUT');
    expect(response.data).toBeNull();
    expect(response.errors![0]!.extensions!.fields.map((field: { field: string }) => field.field).sort()).toEqual(['after', 'first', 'search']);
    for (const first of [101, -1]) expect(codeOf(await server.gql(USERS, { first }, { token: admin.accessToken }))).toBe('BAD_USER_INPUT');
    const forged = Buffer.from(JSON.stringify(['2020-01-01T00:00:00.000Z', "x' OR 1=1"])).toString('base64url');
    expect(codeOf(await server.gql(USERS, { after: forged }, { token: admin.accessToken }))).toBe('BAD_USER_INPUT');
  });

  it('answers BAD_USER_INPUT, not an internal error, for a search with a NUL or another control character', async () => {
    const admin = await newAdmin(server);
    for (const search of ['ada\u0000', '\u0007bell', 'tab\there']) {
      const response = await server.gql(USERS, { search }, { token: admin.accessToken });
      expect(codeOf(response)).toBe('BAD_USER_INPUT');
      expect(response.errors![0]!.extensions!.fields).toEqual([{ field: 'search', message: 'must not contain control characters' }]);
    }
  });
});

describe('setUserRole', () => {
  it('answers UNAUTHENTICATED anonymously and FORBIDDEN to users, even with scope users:write, and changes nothing', async () => {
    const target = await newAccount(server);
    const user = await newAccount(server);
    for (const [token, code] of [
      [undefined, 'UNAUTHENTICATED'],
      [user.accessToken, 'FORBIDDEN'],
      [withScopes(server, user, ['users:read', 'users:write']), 'FORBIDDEN'],
    ] as const) {
      const response = await server.gql(SET_ROLE, { id: target.id, role: 'ADMIN' }, { token });
      expect(codeOf(response)).toBe(code);
      expect(response.data).toBeNull();
    }
    expect(await row(target.id)).toEqual({ role: 'USER', active: true });
    await expectLive(target);
  });

  it("promotes a user and revokes all of the user's sessions, so the next login carries the new role", async () => {
    const admin = await newAdmin(server);
    const target = await newAccount(server);
    const second = await logIn(server, target);

    const response = await server.gql(SET_ROLE, { id: target.id, role: 'ADMIN' }, { token: admin.accessToken });

    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ setUserRole: { id: target.id, role: 'ADMIN' } });
    expect(await row(target.id)).toEqual({ role: 'ADMIN', active: true });
    await expectRevoked(target);
    await expectRevoked(second);
    const again = await logIn(server, target);
    expect(again.response.data!.login.user.role).toBe('ADMIN');
    expect(codeOf(await server.gql(USERS, {}, { token: again.accessToken }))).toBeUndefined();
  });

  it('demotes an admin, whose admin token is refused at once', async () => {
    const admin = await newAdmin(server);
    const other = await newAdmin(server);

    const response = await server.gql(SET_ROLE, { id: other.id, role: 'USER' }, { token: admin.accessToken });

    expect(response.data).toEqual({ setUserRole: { id: other.id, role: 'USER' } });
    await expectRevoked(other);
    expect(codeOf(await server.gql(USERS, {}, { token: other.accessToken }))).toBe('UNAUTHENTICATED');
  });

  it('refuses to demote the last active admin with FORBIDDEN and keeps the role and the sessions', async () => {
    const admin = await newAdmin(server);
    await onlyAdmin(admin);

    const response = await server.gql(SET_ROLE, { id: admin.id, role: 'USER' }, { token: admin.accessToken });

    expect(codeOf(response)).toBe('FORBIDDEN');
    expect(response.errors![0]!.message).toBe('Cannot demote the last active admin');
    expect(await row(admin.id)).toEqual({ role: 'ADMIN', active: true });
    await expectLive(admin);
  });

  it('of two admins demoting themselves at the same moment, lets exactly one through and keeps one admin', async () => {
    const first = await newAdmin(server);
    await onlyAdmin(first);
    const second = await newAdmin(server);

    const responses = await Promise.all([
      server.gql(SET_ROLE, { id: first.id, role: 'USER' }, { token: first.accessToken }),
      server.gql(SET_ROLE, { id: second.id, role: 'USER' }, { token: second.accessToken }),
    ]);

    expect(responses.map(codeOf).sort()).toEqual(['FORBIDDEN', undefined]);
    const admins = await server.database.pool.query(`SELECT id FROM users WHERE role = 'ADMIN' AND active`);
    expect(admins.rowCount).toBe(1);
  });

  it('answers BAD_USER_INPUT for an unknown or malformed id and a validation error for an unknown role', async () => {
    const admin = await newAdmin(server);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', '']) {
      const response = await server.gql(SET_ROLE, { id, role: 'ADMIN' }, { token: admin.accessToken });
      expect(codeOf(response)).toBe('BAD_USER_INPUT');
      expect(response.errors![0]!.extensions!.fields).toEqual([{ field: 'id', message: 'no such user' }]);
    }
    const target = await newAccount(server);
    const badRole = await server.gql(SET_ROLE, { id: target.id, role: 'ROOT' }, { token: admin.accessToken });
    expect(badRole.status).toBe(400);
    expect(codeOf(badRole)).toBe('BAD_USER_INPUT');
    expect(await row(target.id)).toEqual({ role: 'USER', active: true });
  });
});

describe('disableUser and enableUser', () => {
  it('answer UNAUTHENTICATED anonymously and FORBIDDEN to users and to scope users:read, and change nothing', async () => {
    const target = await newAccount(server);
    const user = await newAccount(server);
    for (const mutation of [DISABLE, ENABLE]) {
      for (const [token, code] of [
        [undefined, 'UNAUTHENTICATED'],
        [user.accessToken, 'FORBIDDEN'],
        [withScopes(server, user, ['users:read']), 'FORBIDDEN'],
      ] as const) {
        const response = await server.gql(mutation, { id: target.id }, { token });
        expect(codeOf(response)).toBe(code);
        expect(response.data).toBeNull();
      }
    }
    expect(await row(target.id)).toEqual({ role: 'USER', active: true });
    await expectLive(target);
  });

  it('disabling revokes every session at once; login then answers FORBIDDEN after the right password only', async () => {
    const admin = await newAdmin(server);
    const target = await newAccount(server);
    const bystander = await newAccount(server);
    const sessions = [target, await logIn(server, target), await logIn(server, target)];

    const response = await server.gql(DISABLE, { id: target.id }, { token: admin.accessToken });

    expect(response.data).toEqual({ disableUser: { id: target.id, email: target.email } });
    expect(await row(target.id)).toEqual({ role: 'USER', active: false });
    for (const session of sessions) await expectRevoked(session);
    expect(await server.sessions.listByUser(target.id)).toEqual([]);
    // Only the disabled user is signed out: another user's and the admin's sessions stay.
    await expectLive(bystander);
    expect((await server.gql(REFRESH, { refreshToken: bystander.refreshToken })).errors).toBeUndefined();
    await expectLive(admin);
    const right = await server.gql(LOGIN, { input: { email: target.email, password: target.password } });
    expect(codeOf(right)).toBe('FORBIDDEN');
    expect(right.cookies.access_token).toBeUndefined();
    const wrong = await server.gql(LOGIN, { input: { email: target.email, password: 'wrong password here' } });
    expect(codeOf(wrong)).toBe('UNAUTHENTICATED');
  });

  it('enabling lets the user log in again', async () => {
    const admin = await newAdmin(server);
    const target = await newAccount(server);
    await server.gql(DISABLE, { id: target.id }, { token: admin.accessToken });

    const response = await server.gql(ENABLE, { id: target.id }, { token: admin.accessToken });

    expect(response.data).toEqual({ enableUser: { id: target.id, email: target.email } });
    expect(await row(target.id)).toEqual({ role: 'USER', active: true });
    await expectLive(await logIn(server, target));
  });

  it('lets a token with scope users:write disable and enable a user', async () => {
    const operator = withScopes(server, await newAccount(server), ['users:write']);
    const target = await newAccount(server);

    expect((await server.gql(DISABLE, { id: target.id }, { token: operator })).errors).toBeUndefined();
    await expectRevoked(target);
    expect((await server.gql(ENABLE, { id: target.id }, { token: operator })).errors).toBeUndefined();
    expect(await row(target.id)).toEqual({ role: 'USER', active: true });
  });

  it('refuses to disable the last active admin with FORBIDDEN, but disables an admin when another remains', async () => {
    const admin = await newAdmin(server);
    await onlyAdmin(admin);

    const last = await server.gql(DISABLE, { id: admin.id }, { token: admin.accessToken });
    expect(codeOf(last)).toBe('FORBIDDEN');
    expect(last.errors![0]!.message).toBe('Cannot disable the last active admin');
    expect(await row(admin.id)).toEqual({ role: 'ADMIN', active: true });
    await expectLive(admin);

    const other = await newAdmin(server);
    const response = await server.gql(DISABLE, { id: other.id }, { token: admin.accessToken });
    expect(response.errors).toBeUndefined();
    expect(await row(other.id)).toEqual({ role: 'ADMIN', active: false });
    await expectRevoked(other);
  });

  it('answer BAD_USER_INPUT for an unknown or malformed id', async () => {
    const admin = await newAdmin(server);
    for (const mutation of [DISABLE, ENABLE]) {
      for (const id of ['00000000-0000-4000-8000-000000000000', "1' OR '1'='1"]) {
        const response = await server.gql(mutation, { id }, { token: admin.accessToken });
        expect(codeOf(response)).toBe('BAD_USER_INPUT');
        expect(response.data).toBeNull();
      }
    }
  });
});

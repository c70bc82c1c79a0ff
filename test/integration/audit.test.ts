// The audit log (issue 6): which events are written, auditEvents for admins, and that writing an
// event never blocks or fails the operation it records.
import pg from 'pg';
import { codeOf, logIn, newAccount, newAdmin, sessionIdOf, withScopes } from '../helpers/accounts';
import { LOGIN, LOGOUT, REFRESH, newUser, REGISTER, type GraphQLResponse } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

// EMAIL_VERIFICATION=off: these tests count each account's events, and verification mails add their own
// (VERIFICATION_SENT, tested with the mail flows in recovery.test.ts).
const LIMITS = { RATE_LIMIT_REGISTER_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000', EMAIL_VERIFICATION: 'off' };
const AGENT = 'audit-test-agent/1.0';
const AUDIT_EVENTS = /* GraphQL */ `
  query AuditEvents($first: Int, $after: String, $type: AuthEventType, $userId: ID) {
    auditEvents(first: $first, after: $after, type: $type, userId: $userId) {
      totalCount
      edges { cursor node { id type outcome userId actorId clientId sessionId ip userAgent reason createdAt } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
`;

interface EventRow {
  type: string;
  outcome: string;
  user_id: string | null;
  actor_id: string | null;
  session_id: string | null;
  ip: string | null;
  user_agent: string | null;
  reason: string | null;
}

let server: TestServer;

beforeAll(async () => {
  server = await createTestServer({ env: LIMITS });
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The events about a user, once at least `count` have landed (they are written in the background). */
async function eventsOf(userId: string, count: number): Promise<EventRow[]> {
  for (let attempt = 0; ; attempt += 1) {
    const { rows } = await server.database.pool.query<EventRow>(
      'SELECT type, outcome, user_id, actor_id, session_id, ip, user_agent, reason FROM auth_events WHERE user_id = $1 ORDER BY created_at, id',
      [userId],
    );
    if (rows.length >= count || attempt > 60) return rows;
    await sleep(50);
  }
}

const ua = { 'user-agent': AGENT };

describe('events written', () => {
  it('records register, login success and failure, refresh and logout, with session, IP and user agent', async () => {
    const account = await newAccount(server, ua);
    const second = await logIn(server, account, ua);
    await server.gql(LOGIN, { input: { email: account.email, password: 'wrong password!' } }, { headers: ua });
    await server.gql(REFRESH, { refreshToken: second.refreshToken }, { headers: ua });
    await server.gql(LOGOUT, {}, { token: account.accessToken, headers: ua });

    const events = await eventsOf(account.id, 5);

    expect(events.map((event) => [event.type, event.outcome])).toEqual([
      ['REGISTER', 'SUCCESS'],
      ['LOGIN_SUCCEEDED', 'SUCCESS'],
      ['LOGIN_FAILED', 'FAILURE'],
      ['REFRESH', 'SUCCESS'],
      ['LOGOUT', 'SUCCESS'],
    ]);
    expect(events.map((event) => event.session_id)).toEqual([
      sessionIdOf(account.accessToken),
      sessionIdOf(second.accessToken),
      null,
      sessionIdOf(second.accessToken),
      sessionIdOf(account.accessToken),
    ]);
    expect(events[2]!.reason).toBe('wrong password');
    for (const event of events) {
      expect(event.ip).toMatch(/127\.0\.0\.1$/);
      expect(event.user_agent).toBe(AGENT);
    }
  });

  it('records a failed login for an unknown email without a user, and one for a disabled account with its user', async () => {
    const email = newUser().email;
    await server.gql(LOGIN, { input: { email, password: 'whatever password' } });
    const account = await newAccount(server);
    await server.database.pool.query('UPDATE users SET active = false WHERE id = $1', [account.id]);
    await server.gql(LOGIN, { input: { email: account.email, password: account.password } });

    const events = await eventsOf(account.id, 2);
    expect(events.map((event) => [event.type, event.reason])).toEqual([['REGISTER', null], ['LOGIN_FAILED', 'account disabled']]);
    const unknown = await server.database.pool.query(
      `SELECT user_id FROM auth_events WHERE type = 'LOGIN_FAILED' AND reason = 'unknown email'`,
    );
    expect(unknown.rows.length).toBeGreaterThanOrEqual(1);
    expect(unknown.rows.every((row: { user_id: string | null }) => row.user_id === null)).toBe(true);
  });

  it('records refresh-token reuse as a failure, and logout of all sessions with its reason', async () => {
    const account = await newAccount(server);
    await server.gql(REFRESH, { refreshToken: account.refreshToken });
    await server.gql(REFRESH, { refreshToken: account.refreshToken });
    const other = await logIn(server, account);
    await server.gql(LOGOUT, { allSessions: true }, { token: other.accessToken });

    const events = await eventsOf(account.id, 5);
    expect(events.map((event) => [event.type, event.outcome, event.reason])).toEqual([
      ['REGISTER', 'SUCCESS', null],
      ['REFRESH', 'SUCCESS', null],
      ['REFRESH_REUSE_DETECTED', 'FAILURE', null],
      ['LOGIN_SUCCEEDED', 'SUCCESS', null],
      ['LOGOUT', 'SUCCESS', 'all sessions'],
    ]);
  });

  it('records session revocations and password changes, with the user as actor', async () => {
    const account = await newAccount(server);
    const other = await logIn(server, account);
    await server.gql(`mutation($id: ID!) { revokeSession(id: $id) }`, { id: sessionIdOf(other.accessToken) }, { token: account.accessToken });
    const change = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`;
    await server.gql(change, { c: 'not the password', n: 'another passphrase' }, { token: account.accessToken });
    await server.gql(change, { c: account.password, n: 'another passphrase' }, { token: account.accessToken });

    const events = (await eventsOf(account.id, 5)).slice(2);
    expect(events.map((event) => [event.type, event.outcome, event.actor_id, event.reason])).toEqual([
      ['SESSION_REVOKED', 'SUCCESS', account.id, null],
      ['PASSWORD_CHANGED', 'FAILURE', account.id, 'wrong current password'],
      ['PASSWORD_CHANGED', 'SUCCESS', account.id, '0 other sessions revoked'],
    ]);
    expect(events[0]!.session_id).toBe(sessionIdOf(other.accessToken));
  });

  it('records role changes, disables and enables with the admin as actor, and a refused last-admin demotion', async () => {
    const admin = await newAdmin(server);
    const target = await newAccount(server);
    const setRole = `mutation($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { id } }`;
    await server.gql(setRole, { id: target.id, role: 'ADMIN' }, { token: admin.accessToken });
    await server.gql(setRole, { id: target.id, role: 'USER' }, { token: admin.accessToken });
    await server.gql(`mutation($id: ID!) { disableUser(id: $id) { id } }`, { id: target.id }, { token: admin.accessToken });
    await server.gql(`mutation($id: ID!) { enableUser(id: $id) { id } }`, { id: target.id }, { token: admin.accessToken });
    await server.database.pool.query(`UPDATE users SET role = 'USER' WHERE id <> $1`, [admin.id]);
    await server.gql(setRole, { id: admin.id, role: 'USER' }, { token: admin.accessToken });

    const events = (await eventsOf(target.id, 5)).slice(1);
    expect(events.map((event) => [event.type, event.outcome, event.actor_id, event.reason])).toEqual([
      ['ROLE_CHANGED', 'SUCCESS', admin.id, 'USER->ADMIN'],
      ['ROLE_CHANGED', 'SUCCESS', admin.id, 'ADMIN->USER'],
      ['USER_DISABLED', 'SUCCESS', admin.id, null],
      ['USER_ENABLED', 'SUCCESS', admin.id, null],
    ]);
    const refused = (await eventsOf(admin.id, 3)).filter((event) => event.type === 'ROLE_CHANGED');
    expect(refused.map((event) => [event.outcome, event.reason])).toEqual([['FAILURE', 'last active admin']]);
  });
});

describe('auditEvents', () => {
  it('answers UNAUTHENTICATED anonymously and FORBIDDEN to users and to scopes other than audit:read, with no data', async () => {
    const user = await newAccount(server);
    for (const [token, code] of [
      [undefined, 'UNAUTHENTICATED'],
      [user.accessToken, 'FORBIDDEN'],
      [withScopes(server, user, ['users:read', 'users:write']), 'FORBIDDEN'],
    ] as const) {
      const response = await server.gql(AUDIT_EVENTS, {}, { token });
      expect(codeOf(response)).toBe(code);
      expect(response.data).toBeNull();
    }
  });

  it("lets an ADMIN and scope audit:read page through one user's events, newest first, filtered by type", async () => {
    const admin = await newAdmin(server);
    const auditor = withScopes(server, await newAccount(server), ['audit:read']);
    const account = await newAccount(server);
    for (let index = 0; index < 3; index += 1) await logIn(server, account);
    await eventsOf(account.id, 4);

    for (const token of [admin.accessToken, auditor]) {
      const types: string[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const response: GraphQLResponse = await server.gql(AUDIT_EVENTS, { first: 3, after, userId: account.id }, { token });
        expect(response.errors).toBeUndefined();
        const connection: Record<string, any> = response.data!.auditEvents;
        expect(connection.totalCount).toBe(4);
        types.push(...connection.edges.map((edge: { node: { type: string } }) => edge.node.type));
        after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
        pages += 1;
      } while (after);
      expect(pages).toBe(2);
      expect(types).toEqual(['LOGIN_SUCCEEDED', 'LOGIN_SUCCEEDED', 'LOGIN_SUCCEEDED', 'REGISTER']);
    }

    const registers = await server.gql(AUDIT_EVENTS, { type: 'REGISTER', userId: account.id }, { token: admin.accessToken });
    expect(registers.data!.auditEvents.edges.map((edge: { node: { type: string } }) => edge.node.type)).toEqual(['REGISTER']);
  });

  it('answers BAD_USER_INPUT naming each bad argument, and a validation error (400) for an unknown type', async () => {
    const admin = await newAdmin(server);

    const response = await server.gql(AUDIT_EVENTS, { first: 101, after: 'bogus', userId: 'not-a-uuid' }, { token: admin.accessToken });
    expect(codeOf(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.extensions!.fields.map((field: { field: string }) => field.field).sort()).toEqual(['after', 'first', 'userId']);

    const badType = await server.gql(AUDIT_EVENTS, { type: 'EVERYTHING' }, { token: admin.accessToken });
    expect(badType.status).toBe(400);
  });
});

describe('writing events never gets in the way', () => {
  it('lets register and login succeed while the audit table is missing, and records again once it is back', async () => {
    await server.database.pool.query('ALTER TABLE auth_events RENAME TO auth_events_away');
    let account;
    try {
      const registered = await server.gql(REGISTER, { input: newUser() });
      expect(registered.errors).toBeUndefined();
      account = registered.data!.register;
      const login = await server.gql(LOGIN, { input: { email: account.user.email, password: newUser().password } });
      expect(login.errors).toBeUndefined();
      await sleep(200); // let the failing writes fail
    } finally {
      await server.database.pool.query('ALTER TABLE auth_events_away RENAME TO auth_events');
    }
    expect(await eventsOf(account.user.id, 0)).toEqual([]);

    const again = await server.gql(LOGIN, { input: { email: account.user.email, password: newUser().password } });
    expect(again.errors).toBeUndefined();
    expect((await eventsOf(account.user.id, 1)).map((event) => event.type)).toEqual(['LOGIN_SUCCEEDED']);
  });

  it('answers a login while the audit table is locked, before the lock is released', async () => {
    const account = await newAccount(server);
    const locker = new pg.Client({ connectionString: server.database.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE auth_events IN ACCESS EXCLUSIVE MODE');

      const login = await server.gql(LOGIN, { input: { email: account.email, password: account.password } });

      expect(login.errors).toBeUndefined();
      expect(login.data!.login.user.id).toBe(account.id);
      await locker.query('ROLLBACK'); // released only after the login answered
    } finally {
      await locker.end();
    }
  });
});

// Machine clients (issue 6): admin operations, the clientToken grant, what client tokens may do,
// and their revocation at once.
import jwt from 'jsonwebtoken';
import { codeOf, logIn, newAccount, withScopes } from '../helpers/accounts';
import { adminToken, CLIENT_TOKEN, clientTokenFor, CREATE_CLIENT, newClient } from '../helpers/clients';
import { ME, REFRESH } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const LIMITS = { RATE_LIMIT_REGISTER_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000' };
const ROTATE = `mutation($id: ID!) { rotateServiceClientSecret(id: $id) { clientSecret client { id } } }`;
const DISABLE_CLIENT = `mutation($id: ID!) { disableServiceClient(id: $id) { id disabled } }`;
const LIST_CLIENTS = `{ serviceClients { id name scopes disabled lastUsedAt } }`;
const USERS = `{ users(first: 100) { edges { node { id email } } } }`;
const DISABLE_USER = `mutation($id: ID!) { disableUser(id: $id) { id } }`;
const ENABLE_USER = `mutation($id: ID!) { enableUser(id: $id) { id } }`;
const SET_ROLE = `mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { id } }`;
const AUDIT = `{ auditEvents(first: 5) { totalCount } }`;
const SESSIONS = `{ sessions { id } }`;

let server: TestServer;

beforeAll(async () => {
  server = await createTestServer({ env: LIMITS });
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

describe('admin operations on clients', () => {
  it('answer UNAUTHENTICATED anonymously and FORBIDDEN to users, scoped users and clients, creating nothing', async () => {
    const user = await newAccount(server);
    const client = await newClient(server, ['users:read', 'users:write', 'audit:read']);
    const clientToken = await clientTokenFor(server, client);
    const before = (await server.database.pool.query('SELECT count(*)::int AS n FROM service_clients')).rows[0].n;
    const operations: Array<[string, Record<string, unknown>]> = [
      [CREATE_CLIENT, { name: 'Rogue', scopes: ['users:read'] }],
      [ROTATE, { id: client.id }],
      [DISABLE_CLIENT, { id: client.id }],
      [LIST_CLIENTS, {}],
    ];
    for (const [operation, variables] of operations) {
      for (const [token, code] of [
        [undefined, 'UNAUTHENTICATED'],
        [user.accessToken, 'FORBIDDEN'],
        [withScopes(server, user, ['users:read', 'users:write', 'audit:read']), 'FORBIDDEN'],
        [clientToken, 'FORBIDDEN'],
      ] as const) {
        const response = await server.gql(operation, variables, { token });
        expect(codeOf(response)).toBe(code);
        expect(response.data).toBeNull();
      }
    }
    expect((await server.database.pool.query('SELECT count(*)::int AS n FROM service_clients')).rows[0].n).toBe(before);
    expect(await clientTokenFor(server, client)).toEqual(expect.any(String)); // secret unchanged, client enabled
  });

  it('creates a client whose secret is shown once and stored only as its SHA-256', async () => {
    const response = await server.gql(CREATE_CLIENT, { name: '  Billing sync ', scopes: ['users:read', 'users:read'] }, { token: await adminToken(server) });

    expect(response.errors).toBeUndefined();
    const { clientSecret, client } = response.data!.createServiceClient;
    expect(client).toMatchObject({ id: expect.stringMatching(/^pc_[\w-]{16}$/), name: 'Billing sync', scopes: ['users:read'], disabled: false, lastUsedAt: null });
    expect(clientSecret).toMatch(/^pcs_[\w-]{43}$/);
    const row = (await server.database.pool.query('SELECT * FROM service_clients WHERE id = $1', [client.id])).rows[0];
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(clientSecret);
    const listed = await server.gql(LIST_CLIENTS, {}, { token: await adminToken(server) });
    expect(listed.data!.serviceClients).toContainEqual({ id: client.id, name: 'Billing sync', scopes: ['users:read'], disabled: false, lastUsedAt: null });
    expect(listed.text).not.toContain(clientSecret);
  });

  it('answers BAD_USER_INPUT for unknown or no scopes and a bad name, and for unknown ids', async () => {
    const token = await adminToken(server);
    const bad = await server.gql(CREATE_CLIENT, { name: 'x', scopes: ['users:read', 'root'] }, { token });
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0]!.extensions!.fields.map((field: { field: string }) => field.field)).toEqual(['name', 'scopes']);
    expect(bad.errors![0]!.message).toContain('unknown scopes: root');
    expect(codeOf(await server.gql(CREATE_CLIENT, { name: 'Empty', scopes: [] }, { token }))).toBe('BAD_USER_INPUT');
    for (const id of ['pc_AAAAAAAAAAAAAAAA', 'nonsense']) {
      expect(codeOf(await server.gql(ROTATE, { id }, { token }))).toBe('BAD_USER_INPUT');
      expect(codeOf(await server.gql(DISABLE_CLIENT, { id }, { token }))).toBe('BAD_USER_INPUT');
    }
  });
});

describe('clientToken', () => {
  it('issues a client access token: sub client:<id>, all allowed scopes by default, no refresh, CLIENT_TOKEN_TTL', async () => {
    const client = await newClient(server, ['users:read', 'audit:read']);

    const response = await server.gql(CLIENT_TOKEN, { clientId: client.id, clientSecret: client.secret });

    expect(response.errors).toBeUndefined();
    const issued = response.data!.clientToken;
    expect(issued).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 3600, scopes: ['users:read', 'audit:read'] });
    const decoded = jwt.decode(issued.accessToken, { complete: true })!;
    expect(decoded.header).toMatchObject({ typ: 'at+jwt', alg: 'HS256' });
    const claims = decoded.payload as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: `client:${client.id}`, client_id: client.id, scope: 'users:read audit:read', iss: 'portcullis', aud: 'portcullis' });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
    expect(claims.sid).toBeUndefined();
    expect(claims.role).toBeUndefined();
    expect(response.cookies.refresh_token).toBeUndefined();
    expect(codeOf(await server.gql(REFRESH, { refreshToken: issued.accessToken }))).toBe('UNAUTHENTICATED');
    const row = (await server.database.pool.query('SELECT last_used_at FROM service_clients WHERE id = $1', [client.id])).rows[0];
    expect(row.last_used_at).toBeInstanceOf(Date);
  });

  it('grants a requested subset, and answers FORBIDDEN with no token when asked for more than allowed', async () => {
    const client = await newClient(server, ['users:read', 'audit:read']);

    const subset = await server.gql(CLIENT_TOKEN, { clientId: client.id, clientSecret: client.secret, scopes: ['audit:read'] });
    expect(subset.data!.clientToken.scopes).toEqual(['audit:read']);
    expect((jwt.decode(subset.data!.clientToken.accessToken) as { scope: string }).scope).toBe('audit:read');

    const more = await server.gql(CLIENT_TOKEN, { clientId: client.id, clientSecret: client.secret, scopes: ['audit:read', 'users:write'] });
    expect(codeOf(more)).toBe('FORBIDDEN');
    expect(more.errors![0]!.message).toBe('Scope not allowed for this client: users:write');
    expect(more.data).toBeNull();
  });

  it('answers one UNAUTHENTICATED for an unknown client or a wrong secret, and FORBIDDEN for a disabled client only after the right secret', async () => {
    const client = await newClient(server, ['users:read']);
    const unknown = await server.gql(CLIENT_TOKEN, { clientId: 'pc_AAAAAAAAAAAAAAAA', clientSecret: client.secret });
    const wrong = await server.gql(CLIENT_TOKEN, { clientId: client.id, clientSecret: `${client.secret}x` });
    const huge = await server.gql(CLIENT_TOKEN, { clientId: client.id.repeat(20), clientSecret: 'x'.repeat(10_000) });
    for (const response of [unknown, wrong, huge]) {
      expect(codeOf(response)).toBe('UNAUTHENTICATED');
      expect(response.errors![0]!.message).toBe('Invalid client credentials');
      expect(response.data).toBeNull();
    }

    await server.gql(DISABLE_CLIENT, { id: client.id }, { token: await adminToken(server) });
    expect(codeOf(await server.gql(CLIENT_TOKEN, { clientId: client.id, clientSecret: 'wrong' }))).toBe('UNAUTHENTICATED');
    const disabled = await server.gql(CLIENT_TOKEN, { clientId: client.id, clientSecret: client.secret });
    expect(codeOf(disabled)).toBe('FORBIDDEN');
    expect(disabled.errors![0]!.message).toBe('This client is disabled');
  });

  it('rate-limits failed attempts per client like logins: RATE_LIMITED (429) even with the right secret', async () => {
    const limited = await createTestServer({ env: { ...LIMITS, RATE_LIMIT_LOGIN_PER_ACCOUNT: '3' } });
    try {
      const client = await newClient(limited, ['users:read']);
      for (let attempt = 0; attempt < 3; attempt += 1) {
        expect(codeOf(await limited.gql(CLIENT_TOKEN, { clientId: client.id, clientSecret: 'wrong' }))).toBe('UNAUTHENTICATED');
      }
      const blocked = await limited.gql(CLIENT_TOKEN, { clientId: client.id, clientSecret: client.secret });
      expect(blocked.status).toBe(429);
      expect(codeOf(blocked)).toBe('RATE_LIMITED');
      expect(blocked.errors![0]!.extensions!.retryAfter).toBeGreaterThan(0);
      expect(blocked.data).toBeNull();
    } finally {
      await limited.close();
    }
  });

  it('refuses two clientToken fields in one operation at validation (400), issuing nothing', async () => {
    const client = await newClient(server, ['users:read']);
    const field = (alias: string, secret: string) => `${alias}: clientToken(clientId: ${JSON.stringify(client.id)}, clientSecret: ${JSON.stringify(secret)}) { accessToken }`;

    const response = await server.gql(`mutation { ${field('a', 'guess-1')} ${field('b', client.secret)} }`);

    expect(response.status).toBe(400);
    expect(codeOf(response)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(response.text).not.toContain('accessToken":"');
  });

  it('resets the failure count after a success', async () => {
    const limited = await createTestServer({ env: { ...LIMITS, RATE_LIMIT_LOGIN_PER_ACCOUNT: '3' } });
    try {
      const client = await newClient(limited, ['users:read']);
      for (let round = 0; round < 3; round += 1) {
        await limited.gql(CLIENT_TOKEN, { clientId: client.id, clientSecret: 'wrong' });
        await limited.gql(CLIENT_TOKEN, { clientId: client.id, clientSecret: 'wrong' });
        expect((await limited.gql(CLIENT_TOKEN, { clientId: client.id, clientSecret: client.secret })).errors).toBeUndefined();
      }
    } finally {
      await limited.close();
    }
  });
});

describe('audit of clients', () => {
  it('records creation, issued and refused tokens, rotation and disabling with the client id', async () => {
    const client = await newClient(server, ['users:read']);
    await clientTokenFor(server, client);
    await server.gql(CLIENT_TOKEN, { clientId: client.id, clientSecret: 'wrong' });
    await server.gql(ROTATE, { id: client.id }, { token: await adminToken(server) });
    await server.gql(DISABLE_CLIENT, { id: client.id }, { token: await adminToken(server) });

    let rows: Array<{ type: string; outcome: string; reason: string | null }> = [];
    for (let attempt = 0; attempt < 60 && rows.length < 5; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      rows = (await server.database.pool.query('SELECT type, outcome, reason FROM auth_events WHERE client_id = $1 ORDER BY created_at, id', [client.id])).rows;
    }
    expect(rows).toEqual([
      { type: 'CLIENT_CREATED', outcome: 'SUCCESS', reason: 'users:read' },
      { type: 'CLIENT_TOKEN_ISSUED', outcome: 'SUCCESS', reason: 'users:read' },
      { type: 'CLIENT_TOKEN_REFUSED', outcome: 'FAILURE', reason: 'wrong secret' },
      { type: 'CLIENT_SECRET_ROTATED', outcome: 'SUCCESS', reason: null },
      { type: 'CLIENT_DISABLED', outcome: 'SUCCESS', reason: null },
    ]);
  });
});

describe('what a client token may do', () => {
  it('with users:read lists users and sees their emails; without it is FORBIDDEN', async () => {
    const user = await newAccount(server);
    const reader = await clientTokenFor(server, await newClient(server, ['users:read']));
    const auditor = await clientTokenFor(server, await newClient(server, ['audit:read']));

    const allowed = await server.gql(USERS, {}, { token: reader });
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data!.users.edges).toContainEqual({ node: { id: user.id, email: user.email } });

    const refused = await server.gql(USERS, {}, { token: auditor });
    expect(codeOf(refused)).toBe('FORBIDDEN');
    expect(refused.data).toBeNull();
    expect((await server.gql(AUDIT, {}, { token: auditor })).errors).toBeUndefined();
    expect(codeOf(await server.gql(AUDIT, {}, { token: reader }))).toBe('FORBIDDEN');
  });

  it('with users:write disables and enables users, but can never set a role', async () => {
    const target = await newAccount(server);
    const writer = await clientTokenFor(server, await newClient(server, ['users:write']));

    expect((await server.gql(DISABLE_USER, { id: target.id }, { token: writer })).errors).toBeUndefined();
    expect(codeOf(await server.gql(ME, {}, { token: target.accessToken }))).toBe('UNAUTHENTICATED');
    expect((await server.gql(ENABLE_USER, { id: target.id }, { token: writer })).errors).toBeUndefined();
    const promote = await server.gql(SET_ROLE, { id: target.id }, { token: writer });
    expect(codeOf(promote)).toBe('FORBIDDEN');
    const role = (await server.database.pool.query('SELECT role FROM users WHERE id = $1', [target.id])).rows[0].role;
    expect(role).toBe('USER');
  });

  it('resolves federation _entities users, with emails only under users:read', async () => {
    const user = await newAccount(server);
    const entities = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }`;
    const representations = [{ __typename: 'User', id: user.id }];

    const reader = await server.gql(entities, { r: representations }, { token: await clientTokenFor(server, await newClient(server, ['users:read'])) });
    const auditor = await server.gql(entities, { r: representations }, { token: await clientTokenFor(server, await newClient(server, ['audit:read'])) });

    expect(reader.data).toEqual({ _entities: [{ id: user.id, email: user.email }] });
    expect(auditor.data).toEqual({ _entities: [{ id: user.id, email: null }] });
  });

  it('without users:write cannot disable or enable users', async () => {
    const target = await newAccount(server);
    const reader = await clientTokenFor(server, await newClient(server, ['users:read', 'audit:read']));

    for (const mutation of [DISABLE_USER, ENABLE_USER]) {
      const response = await server.gql(mutation, { id: target.id }, { token: reader });
      expect(codeOf(response)).toBe('FORBIDDEN');
      expect(response.data).toBeNull();
    }
    expect((await server.gql(ME, {}, { token: target.accessToken })).errors).toBeUndefined();
  });

  it('is FORBIDDEN for operations of a signed-in user: me, sessions, revokeSession, changePassword', async () => {
    const token = await clientTokenFor(server, await newClient(server, ['users:read', 'users:write', 'audit:read']));
    const operations = [ME, SESSIONS, `mutation { revokeSession(id: "x") }`, `mutation { changePassword(currentPassword: "a", newPassword: "bbbbbbbbbb") }`];
    for (const operation of operations) {
      const response = await server.gql(operation, {}, { token });
      expect(codeOf(response)).toBe('FORBIDDEN');
      expect(response.data).toBeNull();
    }
  });

  it('is refused at once when the client is disabled', async () => {
    const client = await newClient(server, ['users:read']);
    const token = await clientTokenFor(server, client);
    expect((await server.gql(USERS, {}, { token })).errors).toBeUndefined();

    const response = await server.gql(DISABLE_CLIENT, { id: client.id }, { token: await adminToken(server) });

    expect(response.data).toEqual({ disableServiceClient: { id: client.id, disabled: true } });
    expect(codeOf(await server.gql(USERS, {}, { token }))).toBe('UNAUTHENTICATED');
  });

  it('is refused at once after a rotation, as is the old secret; the new secret works', async () => {
    const client = await newClient(server, ['users:read']);
    const token = await clientTokenFor(server, client);

    const rotated = await server.gql(ROTATE, { id: client.id }, { token: await adminToken(server) });

    const newSecret = rotated.data!.rotateServiceClientSecret.clientSecret as string;
    expect(newSecret).not.toBe(client.secret);
    expect(codeOf(await server.gql(USERS, {}, { token }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await server.gql(CLIENT_TOKEN, { clientId: client.id, clientSecret: client.secret }))).toBe('UNAUTHENTICATED');
    const fresh = await clientTokenFor(server, { ...client, secret: newSecret });
    expect((await server.gql(USERS, {}, { token: fresh })).errors).toBeUndefined();
  });

  it('is refused when its client state is gone from the store (fail closed), until the client asks again', async () => {
    if (!server.config.redisUrl) return; // the in-memory state cannot be lost from outside
    const client = await newClient(server, ['users:read']);
    const token = await clientTokenFor(server, client);
    const { Redis } = await import('ioredis');
    const redis = new Redis(server.config.redisUrl);
    try {
      await redis.del(`${server.config.redisKeyPrefix}{client:${client.id}}:state`);
    } finally {
      redis.disconnect();
    }

    expect(codeOf(await server.gql(USERS, {}, { token }))).toBe('UNAUTHENTICATED');
    const again = await clientTokenFor(server, client);
    expect((await server.gql(USERS, {}, { token: again })).errors).toBeUndefined();
  });

  it('is refused when signed for a client that does not exist, and a user token never passes as a client token', async () => {
    const forged = jwt.sign(
      { sub: 'client:pc_AAAAAAAAAAAAAAAA', client_id: 'pc_AAAAAAAAAAAAAAAA', ver: 1, scope: 'users:read', nbf: Math.floor(Date.now() / 1000), jti: 'x', iss: 'portcullis', aud: 'portcullis' },
      server.keys.access.signingKey,
      { algorithm: 'HS256', keyid: server.keys.access.kid, header: { alg: 'HS256', typ: 'at+jwt' }, expiresIn: 600 },
    );
    expect(codeOf(await server.gql(USERS, {}, { token: forged }))).toBe('UNAUTHENTICATED');

    const user = await logIn(server, await newAccount(server));
    expect(codeOf(await server.gql(USERS, {}, { token: user.accessToken }))).toBe('FORBIDDEN');
  });
});

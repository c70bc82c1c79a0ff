// changePassword (issue 6): register's policy, re-hash, keep the current session, revoke the others.
import { codeOf, logIn, newAccount, newAdmin, type Account } from '../helpers/accounts';
import { CountingHasher } from '../helpers/counting-hasher';
import { LOGIN, ME, REFRESH, type GraphQLResponse } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const LIMITS = { RATE_LIMIT_REGISTER_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000' };
const CHANGE = /* GraphQL */ `
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
  }
`;
const NEW_PASSWORD = 'a brand new passphrase';

let server: TestServer;
let hasher: CountingHasher;

beforeAll(async () => {
  hasher = new CountingHasher();
  server = await createTestServer({ env: LIMITS, hasher });
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

const hashOf = async (id: string): Promise<string> =>
  (await server.database.pool.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [id])).rows[0]!.password_hash;

async function canLogIn(email: string, password: string): Promise<boolean> {
  return (await server.gql(LOGIN, { input: { email, password } })).errors === undefined;
}

async function isLive(account: Pick<Account, 'accessToken'>): Promise<boolean> {
  return (await server.gql(ME, {}, { token: account.accessToken })).errors === undefined;
}

function expectFieldError(response: GraphQLResponse, field: string, message: string): void {
  expect(codeOf(response)).toBe('BAD_USER_INPUT');
  expect(response.data).toBeNull();
  expect(response.errors![0]!.extensions!.fields).toEqual([{ field, message }]);
}

it('re-hashes the password, keeps the current session and revokes every other one', async () => {
  const account = await newAccount(server);
  const others = [await logIn(server, account), await logIn(server, account)];
  const stranger = await newAccount(server);
  const before = await hashOf(account.id);

  const response = await server.gql(CHANGE, { currentPassword: account.password, newPassword: NEW_PASSWORD }, { token: account.accessToken });

  expect(response.errors).toBeUndefined();
  expect(response.data).toEqual({ changePassword: true });
  const after = await hashOf(account.id);
  expect(after).not.toBe(before);
  expect(after).toMatch(/^\$argon2id\$/);
  expect(after).not.toContain(NEW_PASSWORD);
  expect(await isLive(account)).toBe(true);
  expect((await server.gql(REFRESH, { refreshToken: account.refreshToken })).errors).toBeUndefined();
  for (const other of others) {
    expect(await isLive(other)).toBe(false);
    expect(codeOf(await server.gql(REFRESH, { refreshToken: other.refreshToken }))).toBe('UNAUTHENTICATED');
  }
  expect(await isLive(stranger)).toBe(true);
  expect(await canLogIn(account.email, account.password)).toBe(false);
  expect(await canLogIn(account.email, NEW_PASSWORD)).toBe(true);
});

it('works the same for an ADMIN, on their own password only', async () => {
  const admin = await newAdmin(server);

  const response = await server.gql(CHANGE, { currentPassword: admin.password, newPassword: NEW_PASSWORD }, { token: admin.accessToken });

  expect(response.data).toEqual({ changePassword: true });
  expect(await canLogIn(admin.email, NEW_PASSWORD)).toBe(true);
});

it('answers UNAUTHENTICATED to an anonymous caller and to a disabled user, changing nothing', async () => {
  const account = await newAccount(server);
  const before = await hashOf(account.id);

  const anonymous = await server.gql(CHANGE, { currentPassword: account.password, newPassword: NEW_PASSWORD });
  expect(codeOf(anonymous)).toBe('UNAUTHENTICATED');
  expect(anonymous.data).toBeNull();

  await server.database.pool.query('UPDATE users SET active = false WHERE id = $1', [account.id]);
  const disabled = await server.gql(CHANGE, { currentPassword: account.password, newPassword: NEW_PASSWORD }, { token: account.accessToken });
  expect(codeOf(disabled)).toBe('UNAUTHENTICATED');
  expect(await hashOf(account.id)).toBe(before);
});

it('answers BAD_USER_INPUT on currentPassword for a wrong current password, and changes or revokes nothing', async () => {
  const account = await newAccount(server);
  const other = await logIn(server, account);
  const before = await hashOf(account.id);

  const response = await server.gql(CHANGE, { currentPassword: 'not my password', newPassword: NEW_PASSWORD }, { token: account.accessToken });

  expectFieldError(response, 'currentPassword', 'is incorrect');
  expect(await hashOf(account.id)).toBe(before);
  expect(await isLive(other)).toBe(true);
  expect(await canLogIn(account.email, account.password)).toBe(true);
});

it('applies the register policy to the new password before any hashing, counting code points', async () => {
  const account = await newAccount(server);
  const before = await hashOf(account.id);
  const cases: Array<[string, string]> = [
    ['short', 'must be at least 8 characters'],
    ['🔑'.repeat(7), 'must be at least 8 characters'],
    ['x'.repeat(129), 'must be at most 128 characters'],
  ];
  for (const [newPassword, message] of cases) {
    const calls = hasher.total;
    const response = await server.gql(CHANGE, { currentPassword: account.password, newPassword }, { token: account.accessToken });
    expectFieldError(response, 'newPassword', message);
    expect(hasher.total).toBe(calls);
  }
  const emoji = await server.gql(CHANGE, { currentPassword: account.password, newPassword: '🔑'.repeat(8) }, { token: account.accessToken });
  expect(emoji.data).toEqual({ changePassword: true });
  expect(await hashOf(account.id)).not.toBe(before);
});

it('refuses an over-long current password without hashing, and a new password equal to the current one', async () => {
  const account = await newAccount(server);
  const calls = hasher.total;

  const long = await server.gql(CHANGE, { currentPassword: 'x'.repeat(129), newPassword: NEW_PASSWORD }, { token: account.accessToken });
  expectFieldError(long, 'currentPassword', 'is incorrect');
  expect(hasher.total).toBe(calls);

  const same = await server.gql(CHANGE, { currentPassword: account.password, newPassword: account.password }, { token: account.accessToken });
  expectFieldError(same, 'newPassword', 'must differ from the current password');
  expect(await canLogIn(account.email, account.password)).toBe(true);
});

it('refuses a call without both arguments at validation (400)', async () => {
  const account = await newAccount(server);

  const response = await server.gql('mutation { changePassword(newPassword: "whatever123") }', {}, { token: account.accessToken });

  expect(response.status).toBe(400);
  expect(codeOf(response)).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(await canLogIn(account.email, account.password)).toBe(true);
});

it('counts wrong current passwords as failed logins: past the limit RATE_LIMITED, even with the right one, and login is locked too', async () => {
  const limited = await createTestServer({ env: { ...LIMITS, RATE_LIMIT_LOGIN_PER_ACCOUNT: '2' } });
  try {
    const registered = await limited.gql(
      'mutation($input: RegisterInput!) { register(input: $input) { accessToken user { email } } }',
      { input: { email: `limited-${Date.now()}@example.com`, password: 'the right passphrase', name: 'Limited' } },
    );
    const token = registered.data!.register.accessToken as string;
    const email = registered.data!.register.user.email as string;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const wrong = await limited.gql(CHANGE, { currentPassword: `guess ${attempt}`, newPassword: NEW_PASSWORD }, { token });
      expect(codeOf(wrong)).toBe('BAD_USER_INPUT');
    }

    const blocked = await limited.gql(CHANGE, { currentPassword: 'the right passphrase', newPassword: NEW_PASSWORD }, { token });

    expect(blocked.status).toBe(429);
    expect(codeOf(blocked)).toBe('RATE_LIMITED');
    expect(codeOf(await limited.gql(LOGIN, { input: { email, password: 'the right passphrase' } }))).toBe('RATE_LIMITED');
    expect(codeOf(await limited.gql(LOGIN, { input: { email, password: NEW_PASSWORD } }))).toBe('RATE_LIMITED');
  } finally {
    await limited.close();
  }
});

it('refuses two changePassword fields in one operation at validation (400), changing nothing', async () => {
  const account = await newAccount(server);
  const twice = `mutation { a: changePassword(currentPassword: ${JSON.stringify(account.password)}, newPassword: "first new passphrase")
    b: changePassword(currentPassword: "first new passphrase", newPassword: "second new passphrase") }`;

  const response = await server.gql(twice, {}, { token: account.accessToken });

  expect(response.status).toBe(400);
  expect(codeOf(response)).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(await canLogIn(account.email, account.password)).toBe(true);
});

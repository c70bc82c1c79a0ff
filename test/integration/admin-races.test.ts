// Admin writes racing a login (issue 6): a disable or role change that lands while a login is between
// its password check and its new session must still reach that session.
import { codeOf, newAccount, newAdmin } from '../helpers/accounts';
import { GatedHasher } from '../helpers/gated-hasher';
import { LOGIN, ME } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const LIMITS = { RATE_LIMIT_REGISTER_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_IP: '1000', RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000' };

let server: TestServer;
let hasher: GatedHasher;

beforeAll(async () => {
  hasher = new GatedHasher();
  server = await createTestServer({ env: LIMITS, hasher });
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

it('refuses a login with FORBIDDEN and leaves no session when the account is disabled during it', async () => {
  const admin = await newAdmin(server);
  const target = await newAccount(server);
  await server.sessions.revokeAll(target.id);
  const gate = hasher.hold();

  const login = server.gql(LOGIN, { input: { email: target.email, password: target.password } });
  await gate.reached; // the password was checked against the still-active account
  const disabled = await server.gql(`mutation($id: ID!) { disableUser(id: $id) { id } }`, { id: target.id }, { token: admin.accessToken });
  expect(disabled.errors).toBeUndefined();
  gate.release();
  const response = await login;

  expect(codeOf(response)).toBe('FORBIDDEN');
  expect(response.data).toBeNull();
  expect(response.cookies.access_token).toBeUndefined();
  expect(await server.sessions.listByUser(target.id)).toEqual([]);
});

it('gives a login the new role when the role changes during it', async () => {
  const admin = await newAdmin(server);
  const target = await newAccount(server);
  const gate = hasher.hold();

  const login = server.gql(LOGIN, { input: { email: target.email, password: target.password } });
  await gate.reached;
  await server.gql(`mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { id } }`, { id: target.id }, { token: admin.accessToken });
  gate.release();
  const response = await login;

  expect(response.errors).toBeUndefined();
  expect(response.data!.login.user.role).toBe('ADMIN');
  const token = response.data!.login.accessToken as string;
  expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).role).toBe('ADMIN');
  expect((await server.gql(ME, {}, { token })).data!.me.role).toBe('ADMIN');
});

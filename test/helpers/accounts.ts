// Accounts for authorization tests: users, admins (promoted in the database, as the admin CLI does)
// and their tokens, all through the real API.
import jwt from 'jsonwebtoken';
import { TokenService } from '../../src/auth/tokens';
import { LOGIN, registerUser, type GraphQLResponse } from './graphql';
import type { TestServer } from './test-server';

export interface Account {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

export const codeOf = (response: GraphQLResponse): unknown => response.errors?.[0]?.extensions?.code;

/** Registers a user and returns their first session's tokens. */
export async function newAccount(server: TestServer, headers: Record<string, string> = {}): Promise<Account> {
  const registered = await registerUser({ gql: (query, variables, options) => server.gql(query, variables, { ...options, headers }) });
  return { id: registered.user.id, email: registered.input.email, password: registered.input.password, accessToken: registered.accessToken, refreshToken: registered.refreshToken };
}

/** A new session of an existing account. */
export async function logIn(server: TestServer, account: Pick<Account, 'email' | 'password'>, headers: Record<string, string> = {}): Promise<Account & { response: GraphQLResponse }> {
  const response = await server.gql(LOGIN, { input: { email: account.email, password: account.password } }, { headers });
  if (!response.data?.login) throw new Error(`login failed: ${response.text}`);
  const login = response.data.login as { accessToken: string; refreshToken: string; user: { id: string } };
  return { ...account, id: login.user.id, accessToken: login.accessToken, refreshToken: login.refreshToken, response };
}

/** A user made ADMIN directly in the database, then logged in again so the token carries the role. */
export async function newAdmin(server: TestServer): Promise<Account> {
  const account = await newAccount(server);
  await server.database.pool.query(`UPDATE users SET role = 'ADMIN' WHERE id = $1`, [account.id]);
  return logIn(server, account);
}

/** The same session's access token, signed with the server's key, granting extra scopes (as a scoped client would hold). */
export function withScopes(server: TestServer, account: Pick<Account, 'accessToken'>, scopes: string[], role: 'USER' | 'ADMIN' = 'USER'): string {
  const { sub, sid } = jwt.decode(account.accessToken) as { sub: string; sid: string };
  return new TokenService(server.keys, server.config.jwt).signAccess({ sub, sid, role, scope: scopes.join(' ') }).token;
}

export const sessionIdOf = (token: string): string => (jwt.decode(token) as { sid: string }).sid;

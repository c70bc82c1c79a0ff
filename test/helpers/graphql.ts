// A small GraphQL-over-HTTP client for tests: JSON in, status, body and parsed Set-Cookie out.
import setCookieParser, { type Cookie } from 'set-cookie-parser';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  headers: Headers;
  data: T | null | undefined;
  errors: Array<{ message: string; path?: string[]; extensions?: Record<string, any> }> | undefined;
  cookies: Record<string, Cookie>;
  text: string;
}

export interface RequestOptions {
  token?: string;
  cookies?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface GraphQLClient {
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, options?: RequestOptions): Promise<GraphQLResponse<T>>;
}

export function graphqlClient(url: string): GraphQLClient {
  return {
    async gql(query, variables, options = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      if (options.cookies) headers.cookie = cookieHeader(options.cookies);
      const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      return parseResponse(response);
    },
  };
}

export async function parseResponse(response: Response): Promise<GraphQLResponse<any>> {
  const text = await response.text();
  let body: { data?: unknown; errors?: GraphQLResponse['errors'] } = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = {};
  }
  const cookies = setCookieParser.parse(response.headers.getSetCookie(), { map: true });
  return { status: response.status, headers: response.headers, data: body.data as never, errors: body.errors, cookies, text };
}

export function cookieHeader(cookies: Record<string, string>): string {
  return Object.entries(cookies)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
}

export const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterInput!) {
    register(input: $input) { accessToken refreshToken tokenType expiresIn user { id email name role createdAt updatedAt } }
  }
`;
export const LOGIN = /* GraphQL */ `
  mutation Login($input: LoginInput!) {
    login(input: $input) { accessToken refreshToken tokenType expiresIn user { id email name role } }
  }
`;
export const REFRESH = /* GraphQL */ `
  mutation Refresh($refreshToken: String) {
    refresh(refreshToken: $refreshToken) { accessToken refreshToken tokenType expiresIn user { id email } }
  }
`;
export const LOGOUT = /* GraphQL */ `
  mutation Logout($allSessions: Boolean) { logout(allSessions: $allSessions) }
`;
export const ME = /* GraphQL */ `
  query Me { me { id email name role createdAt updatedAt } }
`;

let counter = 0;
/** A unique, valid registration input. */
export function newUser(overrides: Partial<{ email: string; password: string; name: string }> = {}) {
  counter += 1;
  return {
    email: `user${counter}-${Date.now().toString(36)}@example.com`,
    password: 'correct horse battery staple',
    name: `User ${counter}`,
    ...overrides,
  };
}

/** Registers a new user and returns the tokens. */
export async function registerUser(client: GraphQLClient, overrides: Parameters<typeof newUser>[0] = {}) {
  const input = newUser(overrides);
  const response = await client.gql(REGISTER, { input });
  if (!response.data?.register) throw new Error(`registration failed: ${response.text}`);
  const payload = response.data.register as { accessToken: string; refreshToken: string; user: { id: string; email: string } };
  return { input, ...payload, response };
}

// @portcullis/client's refresh call against the real API: the refresh_token cookie is what it
// presents, a rotation answers a new access token, and a reused cookie is a final refusal.
import { refreshOverHttp } from '../../client/src/refresh-request';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer({ env: { REFRESH_REUSE_GRACE: '0', REFRESH_TOKEN_IN_BODY: 'false' } });
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

/** A fetch that sends one fixed refresh cookie, as a browser's jar would. */
const withCookie = (refreshToken: string): typeof fetch => (input, init) =>
  fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), cookie: `refresh_token=${refreshToken}` } });

test('refreshes with the cookie, then treats the same (now rotated) cookie as a final refusal that revoked the session', async () => {
  const registered = await server.gql(
    'mutation { register(input: { email: "client-refresh@example.com", password: "correct horse battery", name: "Client" }) { accessToken refreshToken } }',
  );
  expect(registered.data!.register.refreshToken).toBeNull(); // REFRESH_TOKEN_IN_BODY=false: only the cookie has it
  const cookie = registered.cookies.refresh_token!.value;

  const first = await refreshOverHttp(server.url, withCookie(cookie))();
  expect(first).toMatchObject({ kind: 'refreshed', expiresIn: 900 });
  const replayed = await refreshOverHttp(server.url, withCookie(cookie))();
  expect(replayed).toEqual({ kind: 'rejected', code: 'UNAUTHENTICATED' });

  // Reuse revoked the session: the access token the first refresh gave is refused too.
  const me = await server.gql('{ me { id } }', {}, { token: (first as { accessToken: string }).accessToken });
  expect(me.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
});

test('without any cookie the answer is a final refusal, not something to retry', async () => {
  expect(await refreshOverHttp(server.url)()).toEqual({ kind: 'rejected', code: 'UNAUTHENTICATED' });
});

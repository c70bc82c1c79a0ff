import { ApolloClient, ApolloLink, InMemoryCache, gql } from '@apollo/client';
import { Observable } from 'rxjs';
import { createAuthLink, type AuthMode } from '../src/auth-link.js';
import { AuthSession, type SignedOutReason } from '../src/auth-session.js';
import { singleTabCoordinator } from '../src/tab-coordinator.js';
import { RotatingServer } from './tabs.fake.js';

beforeEach(() => jest.useFakeTimers({ now: new Date('2026-12-06T12:00:00Z') }));
afterEach(() => jest.useRealTimers());

const ME = gql`query Me { me { id } }`;
const LOGIN = gql`mutation Login { login(input: { email: "a@example.com", password: "wrong password" }) { accessToken } }`;

/** Stands for the API: accepts only the newest access token (memory mode), records what each request carried. */
function api(server: RotatingServer, options: { refuseAll?: boolean } = {}) {
  const seen: Array<{ operation: string; authorization?: string; credentials?: string }> = [];
  const link = new ApolloLink(
    (operation) =>
      new Observable((observer) => {
        const context = operation.getContext() as { headers?: Record<string, string>; credentials?: string };
        seen.push({ operation: operation.operationName ?? '', authorization: context.headers?.authorization, credentials: context.credentials });
        const valid = !options.refuseAll && context.headers?.authorization === `Bearer at-${server.jar.slice(3)}`;
        setTimeout(() => {
          observer.next(
            operation.operationName === 'Me' && valid
              ? { data: { me: { __typename: 'User', id: 'u1' } } }
              : { errors: [{ message: 'Not signed in', extensions: { code: 'UNAUTHENTICATED' } }] },
          );
          observer.complete();
        }, 5);
      }),
  );
  return { link, seen };
}

function setup(mode: AuthMode = 'memory', options: { refuseAll?: boolean } = {}) {
  const server = new RotatingServer(20);
  const signedOut: SignedOutReason[] = [];
  const session = new AuthSession({ refresh: server.request, tabs: singleTabCoordinator(), refreshAhead: false, onSignedOut: (r) => signedOut.push(r) });
  const backend = api(server, options);
  const client = new ApolloClient({ link: createAuthLink(session, mode).concat(backend.link), cache: new InMemoryCache(), queryDeduplication: false });
  const me = () => client.query({ query: ME, fetchPolicy: 'no-cache', errorPolicy: 'all' });
  return { server, session, signedOut, seen: backend.seen, client, me };
}

test('memory mode sends the access token as a Bearer header and no cookies with ordinary operations', async () => {
  const { session, seen, me } = setup('memory');
  session.signIn({ accessToken: 'at-0', expiresIn: 60 });
  const result = me();
  await jest.advanceTimersByTimeAsync(10);
  expect((await result).data).toEqual({ me: { __typename: 'User', id: 'u1' } });
  expect(seen).toEqual([{ operation: 'Me', authorization: 'Bearer at-0', credentials: 'omit' }]);
});

test('cookie mode sends no Authorization header and includes the cookies', async () => {
  const { session, seen, me } = setup('cookie');
  session.signIn({ accessToken: 'at-0', expiresIn: 60 });
  const result = me();
  await jest.advanceTimersByTimeAsync(100);
  await result;
  expect(seen[0]).toEqual({ operation: 'Me', authorization: undefined, credentials: 'include' });
});

test('three operations refused as UNAUTHENTICATED at once share one refresh and are each replayed once', async () => {
  const { server, session, seen, me } = setup();
  session.signIn({ accessToken: 'at-stale', expiresIn: 60 });
  const results = Promise.all([me(), me(), me()]);
  await jest.advanceTimersByTimeAsync(100);
  for (const result of await results) expect(result.data).toEqual({ me: { __typename: 'User', id: 'u1' } });
  expect(server.calls).toBe(1);
  expect(seen.map((s) => s.authorization)).toEqual(['Bearer at-stale', 'Bearer at-stale', 'Bearer at-stale', 'Bearer at-1', 'Bearer at-1', 'Bearer at-1']);
});

test('a replayed operation refused again is answered with its error, without a second refresh', async () => {
  const { server, session, seen, me } = setup('memory', { refuseAll: true });
  session.signIn({ accessToken: 'at-stale', expiresIn: 60 });
  const result = me();
  await jest.advanceTimersByTimeAsync(100);
  expect((await result).error?.message).toBe('Not signed in');
  expect(seen).toHaveLength(2);
  expect(server.calls).toBe(1);
});

test('a refused refresh answers the operation with its UNAUTHENTICATED error and signs out once; later operations are not refreshed', async () => {
  const { server, session, signedOut, seen, me } = setup();
  session.signIn({ accessToken: 'at-stale', expiresIn: 60 });
  server.revoked = true;
  const first = me();
  await jest.advanceTimersByTimeAsync(100);
  expect((await first).error?.message).toBe('Not signed in');
  const second = me();
  await jest.advanceTimersByTimeAsync(100);
  expect((await second).error?.message).toBe('Not signed in');
  expect(server.calls).toBe(1);
  expect(signedOut).toEqual(['refresh-rejected']);
  expect(seen.map((s) => s.authorization)).toEqual(['Bearer at-stale', undefined]);
});

test('an expired access token is refreshed before the operation is sent, so no request is wasted', async () => {
  const { server, session, seen, me } = setup();
  session.signIn({ accessToken: 'at-0', expiresIn: 60 });
  await jest.advanceTimersByTimeAsync(61_000);
  const result = me();
  await jest.advanceTimersByTimeAsync(100);
  expect((await result).data).toEqual({ me: { __typename: 'User', id: 'u1' } });
  expect(server.calls).toBe(1);
  expect(seen.map((s) => s.authorization)).toEqual(['Bearer at-1']);
});

test('UNAUTHENTICATED from login (a wrong password) is passed through: no refresh, and the cookies go with it', async () => {
  const { server, client, seen } = setup();
  const result = client.mutate({ mutation: LOGIN, errorPolicy: 'all' });
  await jest.advanceTimersByTimeAsync(100);
  expect((await result).error?.message).toBe('Not signed in');
  expect(server.calls).toBe(0);
  expect(seen).toEqual([{ operation: 'Login', authorization: undefined, credentials: 'include' }]);
});

test('UNAUTHENTICATED from verifyMfa (a wrong code) is passed through like login: no refresh, no replay, and the cookies go with it', async () => {
  const { server, session, client, seen } = setup();
  session.signIn({ accessToken: 'at-0', expiresIn: 100 }); // even with a session in this tab, a refused code is final
  const VERIFY_MFA = gql`mutation VerifyMfa { verifyMfa(mfaToken: "t", code: "000000") { accessToken } }`;
  const result = client.mutate({ mutation: VERIFY_MFA, errorPolicy: 'all' });
  await jest.advanceTimersByTimeAsync(100);
  expect((await result).error?.message).toBe('Not signed in');
  expect(server.calls).toBe(0);
  expect(seen).toEqual([{ operation: 'VerifyMfa', authorization: 'Bearer at-0', credentials: 'include' }]);
});

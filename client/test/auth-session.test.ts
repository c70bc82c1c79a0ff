import { AuthSession, type SignedOutReason } from '../src/auth-session.js';
import { singleTabCoordinator } from '../src/tab-coordinator.js';
import { browserProfile, RotatingServer } from './tabs.fake.js';

beforeEach(() => jest.useFakeTimers({ now: new Date('2026-12-06T12:00:00Z') }));
afterEach(() => jest.useRealTimers());

function signedIn(server: RotatingServer, tabs = singleTabCoordinator(), extra: Partial<ConstructorParameters<typeof AuthSession>[0]> = {}) {
  const signedOut: SignedOutReason[] = [];
  const session = new AuthSession({ refresh: server.request, tabs, onSignedOut: (reason) => signedOut.push(reason), ...extra });
  session.signIn({ accessToken: 'at-0', expiresIn: 100 });
  return { session, signedOut };
}

describe('AuthSession (one tab)', () => {
  test('refreshes a fifth of the lifetime before expiry, and not earlier', async () => {
    const server = new RotatingServer();
    const { session } = signedIn(server);
    await jest.advanceTimersByTimeAsync(79_000);
    expect(server.calls).toBe(0);
    await jest.advanceTimersByTimeAsync(1_100);
    expect(server.calls).toBe(1);
    expect(session.accessToken).toBe('at-1');
    session.close();
  });

  test('with refreshAhead off it never refreshes on its own, and reports the token expired after its lifetime', async () => {
    const server = new RotatingServer();
    const { session } = signedIn(server, undefined, { refreshAhead: false });
    await jest.advanceTimersByTimeAsync(99_000);
    expect(session.isExpired()).toBe(false);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(session.isExpired()).toBe(true);
    expect(server.calls).toBe(0);
    session.close();
  });

  test('concurrent refresh calls share one request to the server', async () => {
    const server = new RotatingServer();
    const { session } = signedIn(server, undefined, { refreshAhead: false });
    const stale = session.generation;
    const results = Promise.all([session.refresh(stale), session.refresh(stale), session.refresh(stale)]);
    await jest.advanceTimersByTimeAsync(50);
    expect(await results).toEqual([true, true, true]);
    expect(server.calls).toBe(1);
    // A caller whose failure predates the refresh does not refresh again.
    expect(await session.refresh(stale)).toBe(true);
    expect(server.calls).toBe(1);
  });

  test('a refused refresh calls onSignedOut once, and later refreshes never ask the server again', async () => {
    const server = new RotatingServer();
    server.revoked = true;
    const { session, signedOut } = signedIn(server, undefined, { refreshAhead: false });
    const first = session.refresh(session.generation);
    await jest.advanceTimersByTimeAsync(50);
    expect(await first).toBe(false);
    expect(await session.refresh(session.generation)).toBe(false);
    expect(await session.refresh(0)).toBe(false);
    await jest.advanceTimersByTimeAsync(600_000);
    expect(server.calls).toBe(1);
    expect(signedOut).toEqual(['refresh-rejected']);
    expect(session.status).toBe('signed-out');
    expect(session.accessToken).toBeUndefined();
  });

  test('a server that cannot answer is not a sign-out: the refresh is retried after 1 s, then 2 s', async () => {
    const server = new RotatingServer();
    server.unavailable = true;
    const { session, signedOut } = signedIn(server, undefined, { refreshAhead: false });
    const first = session.refresh(session.generation);
    await jest.advanceTimersByTimeAsync(50);
    expect(await first).toBe(false);
    expect(session.status).toBe('signed-in');
    await jest.advanceTimersByTimeAsync(1_050);
    expect(server.calls).toBe(2);
    server.unavailable = false;
    await jest.advanceTimersByTimeAsync(1_900);
    expect(server.calls).toBe(2);
    await jest.advanceTimersByTimeAsync(200);
    expect(server.calls).toBe(3);
    expect(session.accessToken).toBe('at-1');
    expect(signedOut).toEqual([]);
    session.close();
  });

  test('restore on a page with no session ends signed out without calling onSignedOut', async () => {
    const server = new RotatingServer();
    server.revoked = true;
    const signedOut: SignedOutReason[] = [];
    const session = new AuthSession({ refresh: server.request, tabs: singleTabCoordinator(), onSignedOut: (reason) => signedOut.push(reason) });
    const restored = session.restore();
    await jest.advanceTimersByTimeAsync(50);
    expect(await restored).toBe(false);
    expect(session.status).toBe('signed-out');
    expect(signedOut).toEqual([]);
  });
});

describe('AuthSession across the tabs of one browser profile', () => {
  test('two tabs past expiry at the same moment spend the refresh token once: the second sees the first one’s result after the lock', async () => {
    const server = new RotatingServer();
    const profile = browserProfile();
    const a = signedIn(server, profile.tab(), { refreshAhead: false });
    const b = signedIn(server, profile.tab(), { refreshAhead: false });
    await jest.advanceTimersByTimeAsync(1); // let each tab hear the other's sign-in
    const both = Promise.all([a.session.refresh(a.session.generation), b.session.refresh(b.session.generation)]);
    await jest.advanceTimersByTimeAsync(200);
    expect(await both).toEqual([true, true]);
    expect(server.calls).toBe(1);
    expect(server.revoked).toBe(false);
    expect(a.session.accessToken).toBe('at-1');
    expect(b.session.accessToken).toBe('at-1');
    expect([...a.signedOut, ...b.signedOut]).toEqual([]);
  });

  test('without the lock the same two tabs race one refresh token and the session is revoked (what the lock prevents)', async () => {
    const server = new RotatingServer();
    const profile = browserProfile({ lock: false });
    const a = signedIn(server, profile.tab(), { refreshAhead: false });
    const b = signedIn(server, profile.tab(), { refreshAhead: false });
    await jest.advanceTimersByTimeAsync(1);
    const both = Promise.all([a.session.refresh(a.session.generation), b.session.refresh(b.session.generation)]);
    await jest.advanceTimersByTimeAsync(200);
    expect((await both).sort()).toEqual([false, true]);
    expect(server.calls).toBe(2);
    expect(server.revoked).toBe(true);
  });

  test('logout in one tab signs out the other, which hears it once', async () => {
    const server = new RotatingServer();
    const profile = browserProfile();
    const a = signedIn(server, profile.tab());
    const b = signedIn(server, profile.tab());
    await jest.advanceTimersByTimeAsync(1);
    a.session.signOut('logout');
    await jest.advanceTimersByTimeAsync(1);
    expect(a.signedOut).toEqual(['logout']);
    expect(b.signedOut).toEqual(['other-tab']);
    expect(b.session.status).toBe('signed-out');
    expect(b.session.accessToken).toBeUndefined();
    await jest.advanceTimersByTimeAsync(600_000);
    expect(server.calls).toBe(0);
  });

  test('a tab that refreshed shares the new access token and expiry, so the other does not refresh on its own', async () => {
    const server = new RotatingServer();
    const profile = browserProfile();
    const a = signedIn(server, profile.tab());
    const b = signedIn(server, profile.tab(), { refreshAhead: false });
    await jest.advanceTimersByTimeAsync(80_100); // a refreshes ahead of expiry
    expect(server.calls).toBe(1);
    expect(b.session.accessToken).toBe('at-1');
    expect(b.session.expiresAt).toBe(a.session.expiresAt);
    a.session.close();
  });

  test('a tab opened long after the others last refreshed restores at once: it does not wait for a broadcast that is not coming', async () => {
    const server = new RotatingServer();
    const profile = browserProfile();
    const old = signedIn(server, profile.tab(), { refreshAhead: false });
    await jest.advanceTimersByTimeAsync(30_000);
    const fresh = new AuthSession({ refresh: server.request, tabs: profile.tab(), refreshAhead: false });
    const restored = fresh.restore();
    await jest.advanceTimersByTimeAsync(50);
    expect(server.calls).toBe(1);
    expect(await restored).toBe(true);
    expect(fresh.accessToken).toBe('at-1');
    await jest.advanceTimersByTimeAsync(1);
    expect(old.session.accessToken).toBe('at-1'); // and the old tab takes the new token
  });
});

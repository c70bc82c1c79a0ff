// The hashing process dies (the OOM killer, a crash in argon2): the login, register or password
// change it held fails closed with SERVICE_UNAVAILABLE and changes nothing, the service keeps
// running, and the next one starts a new process and succeeds.
import { Argon2PasswordHasher } from '../../src/auth/password';
import { loadConfig } from '../../src/config/config';
import { LOGIN, ME, REGISTER, newUser, registerUser } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';
import { until } from '../helpers/waiting';

let server: TestServer;
const hasher = new Argon2PasswordHasher(loadConfig({}).argon2);
beforeAll(async () => {
  server = await createTestServer({ hasher });
});
afterAll(async () => {
  await server.close();
  await hasher.close();
  await releaseTestResources();
});

const credentials = ({ email, password }: { email: string; password: string }) => ({ email, password });

/** Stops the hashing process so that no hash can finish, waits for `request` to be in it, then kills it. */
async function killHashingDuring<T>(request: () => Promise<T>): Promise<T> {
  if (hasher.processId === undefined) await hasher.hash('starts a new process'); // the last one was killed
  const pid = hasher.processId!;
  process.kill(pid, 'SIGSTOP');
  const pending = request();
  await until(async () => hasher.load.running === 1, 5_000, 10);
  process.kill(pid, 'SIGKILL');
  return pending;
}

describe('when the hashing process dies', () => {
  it('fails the login it held with SERVICE_UNAVAILABLE, no session, and the next login succeeds', async () => {
    const { input } = await registerUser(server);
    const failed = await killHashingDuring(() => server.gql(LOGIN, { input: credentials(input) }));

    expect(failed.status).toBe(503);
    expect(failed.data).toBeNull();
    expect(failed.errors![0]).toMatchObject({ message: 'Service temporarily unavailable, try again shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(failed.cookies.access_token).toBeUndefined();

    const login = await server.gql(LOGIN, { input: credentials(input) });
    expect(login.errors).toBeUndefined();
    const me = await server.gql(ME, {}, { token: login.data!.login.accessToken });
    expect(me.data!.me.email).toBe(input.email);
  });

  it('answers an unknown email the same SERVICE_UNAVAILABLE as a known one: the outage tells nothing about accounts', async () => {
    const failed = await killHashingDuring(() => server.gql(LOGIN, { input: { email: 'nobody-here@example.com', password: 'whatever password' } }));
    expect(failed.status).toBe(503);
    expect(failed.errors![0]).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });

    const again = await server.gql(LOGIN, { input: { email: 'nobody-here@example.com', password: 'whatever password' } });
    expect(again.errors![0]).toMatchObject({ message: 'Invalid email or password', extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('creates no account when the hash of a registration was lost, and the same email registers afterwards', async () => {
    const input = newUser();
    const failed = await killHashingDuring(() => server.gql(REGISTER, { input }));
    expect(failed.errors![0]).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });

    const login = await server.gql(LOGIN, { input: credentials(input) });
    expect(login.errors![0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    const registered = await server.gql(REGISTER, { input });
    expect(registered.errors).toBeUndefined();
    expect(registered.data!.register.user.email).toBe(input.email);
  });
});

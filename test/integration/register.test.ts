import { ME, newUser, REGISTER } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

async function userCount(): Promise<number> {
  return server.database.prisma.user.count();
}

describe('register', () => {
  it('creates the user, logs them in, and shows them their own email', async () => {
    const input = newUser({ email: '  Ada.Lovelace@Example.COM ', name: '  Ada  ' });
    const response = await server.gql(REGISTER, { input });

    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    const payload = response.data!.register;
    expect(payload).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(payload.user).toMatchObject({ email: 'ada.lovelace@example.com', name: 'Ada', role: 'USER' });
    expect(typeof payload.refreshToken).toBe('string');

    const me = await server.gql(ME, {}, { token: payload.accessToken });
    expect(me.data!.me).toMatchObject({ id: payload.user.id, email: 'ada.lovelace@example.com' });
  });

  it('stores an argon2id hash, never the password', async () => {
    const input = newUser();
    await server.gql(REGISTER, { input });
    const row = await server.database.prisma.user.findUniqueOrThrow({ where: { email: input.email } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.passwordHash).not.toContain(input.password);
  });

  it('refuses an email registered before, in any letter case, with CONFLICT and creates nothing', async () => {
    const input = newUser();
    await server.gql(REGISTER, { input });
    const before = await userCount();

    const again = await server.gql(REGISTER, { input: { ...input, email: input.email.toUpperCase() } });

    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(again.data).toBeNull();
    expect(await userCount()).toBe(before);
  });
});

import argon2 from 'argon2';
import { LOGIN, ME, REGISTER, newUser, registerUser } from '../helpers/graphql';
import { CountingHasher } from '../helpers/counting-hasher';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

let server: TestServer;
let hasher: CountingHasher;
beforeAll(async () => {
  hasher = new CountingHasher();
  server = await createTestServer({ hasher });
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

const GENERIC = 'Invalid email or password';
const credentials = ({ email, password }: { email: string; password: string }) => ({ email, password });

describe('login', () => {
  it('logs a registered user in with their email in any letter case and surrounding spaces', async () => {
    const { input, user } = await registerUser(server);
    const response = await server.gql(LOGIN, { input: { email: `  ${input.email.toUpperCase()} `, password: input.password } });

    expect(response.errors).toBeUndefined();
    expect(response.data!.login.user).toEqual({ id: user.id, email: input.email, name: input.name, role: 'USER' });
    const me = await server.gql(ME, {}, { token: response.data!.login.accessToken });
    expect(me.data!.me.id).toBe(user.id);
  });

  it('answers a wrong password and an unknown email with the same UNAUTHENTICATED message', async () => {
    const { input } = await registerUser(server);
    const wrongPassword = await server.gql(LOGIN, { input: { email: input.email, password: 'not the password' } });
    const unknownEmail = await server.gql(LOGIN, { input: { email: 'nobody@example.com', password: input.password } });

    for (const response of [wrongPassword, unknownEmail]) {
      expect(response.status).toBe(200);
      expect(response.data).toBeNull();
      expect(response.errors).toHaveLength(1);
      expect(response.errors![0]).toMatchObject({ message: GENERIC, extensions: { code: 'UNAUTHENTICATED' } });
      expect(response.cookies.access_token).toBeUndefined();
    }
  });

  it('verifies unknown emails against a dummy hash, so they cost one argon2 verify like a wrong password', async () => {
    const before = { ...hasher.calls };
    await server.gql(LOGIN, { input: { email: 'ghost@example.com', password: 'whatever password' } });
    expect(hasher.calls.verifyDummy - before.verifyDummy).toBe(1);
    expect(hasher.calls.hash - before.hash).toBe(0);
  });

  it('never answers BAD_USER_INPUT about the email shape', async () => {
    for (const email of ['', 'not-an-email', 'a'.repeat(400), ' @ ']) {
      const response = await server.gql(LOGIN, { input: { email, password: 'some password' } });
      expect(response.errors?.[0]).toMatchObject({ message: GENERIC, extensions: { code: 'UNAUTHENTICATED' } });
    }
  });

  it.each([
    ['a NUL inside', (email: string) => email.replace('@', '\u0000@')],
    ['a trailing NUL', (email: string) => `${email}\u0000`],
    ['a bell character', (email: string) => email.replace('@', '\u0007@')],
    ['a tab inside', (email: string) => email.replace('@', '\t@')],
    ['a DEL character', (email: string) => email.replace('@', '\u007f@')],
  ])('answers an email with %s with the generic UNAUTHENTICATED, without hashing or counting', async (_label, corrupt) => {
    const { input } = await registerUser(server);
    const before = hasher.total;

    const response = await server.gql(LOGIN, { input: { email: corrupt(input.email), password: input.password } });

    expect(response.status).toBe(200);
    expect(response.data).toBeNull();
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]).toMatchObject({ message: GENERIC, extensions: { code: 'UNAUTHENTICATED' } });
    expect(response.cookies.access_token).toBeUndefined();
    expect(hasher.total).toBe(before);
    // Nothing was counted against the real account: it still logs in.
    expect((await server.gql(LOGIN, { input: credentials(input) })).errors).toBeUndefined();
  });

  it('refuses emails that register would refuse (bad shape, over 254 characters) without any hashing', async () => {
    const before = hasher.total;
    for (const email of ['', 'not-an-email', `${'a'.repeat(64)}@${'b'.repeat(186)}.com`, ' @ ']) {
      const response = await server.gql(LOGIN, { input: { email, password: 'some password' } });
      expect(response.errors?.[0]).toMatchObject({ message: GENERIC, extensions: { code: 'UNAUTHENTICATED' } });
    }
    expect(hasher.total).toBe(before);
  });

  it('refuses a password over 128 characters with UNAUTHENTICATED before any hashing', async () => {
    const { input } = await registerUser(server);
    const before = hasher.total;
    const response = await server.gql(LOGIN, { input: { email: input.email, password: 'x'.repeat(100_000) } });
    expect(response.errors?.[0]).toMatchObject({ message: GENERIC, extensions: { code: 'UNAUTHENTICATED' } });
    expect(hasher.total).toBe(before);
  });

  it('answers FORBIDDEN for a disabled account only after the correct password', async () => {
    const { input, user } = await registerUser(server);
    await server.database.prisma.user.update({ where: { id: user.id }, data: { active: false } });

    const wrong = await server.gql(LOGIN, { input: { email: input.email, password: 'wrong password!' } });
    expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const right = await server.gql(LOGIN, { input: credentials(input) });
    expect(right.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(right.data).toBeNull();
    expect(right.cookies.access_token).toBeUndefined();
  });

  it('upgrades a hash made with older argon2 parameters at the next successful login', async () => {
    const { input, user } = await registerUser(server);
    const weak = await argon2.hash(input.password, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    await server.database.prisma.user.update({ where: { id: user.id }, data: { passwordHash: weak } });

    const failed = await server.gql(LOGIN, { input: { email: input.email, password: 'wrong password!' } });
    expect(failed.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await server.database.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash).toBe(weak);

    const response = await server.gql(LOGIN, { input: credentials(input) });
    expect(response.errors).toBeUndefined();
    const upgraded = (await server.database.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash;
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await argon2.verify(upgraded!, input.password)).toBe(true);
  });

  it('works with a stale access cookie and a forged Bearer header present', async () => {
    const { input } = await registerUser(server);
    const response = await server.gql(
      LOGIN,
      { input: credentials(input) },
      { token: 'forged.token.value', cookies: { access_token: 'eyJhbGciOiJub25lIn0.e30.' } },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.login.accessToken).toEqual(expect.any(String));
  });

  it('creates a separate session per login', async () => {
    const { input } = await registerUser(server);
    const first = await server.gql(LOGIN, { input: credentials(input) });
    const second = await server.gql(LOGIN, { input: credentials(input) });
    const sid = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid;
    expect(sid(first.data!.login.accessToken)).not.toBe(sid(second.data!.login.accessToken));
  });
});

describe('register validation', () => {
  async function expectFieldError(input: Record<string, string>, field: string) {
    const before = await server.database.prisma.user.count();
    const hashesBefore = hasher.calls.hash;
    const response = await server.gql(REGISTER, { input: { ...newUser(), ...input } });
    expect(response.status).toBe(200);
    expect(response.data).toBeNull();
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.extensions?.fields).toEqual(
      expect.arrayContaining([{ field, message: expect.any(String) }]),
    );
    expect(await server.database.prisma.user.count()).toBe(before);
    expect(hasher.calls.hash).toBe(hashesBefore);
    return response;
  }

  it.each([
    ['no at sign', 'plainaddress'],
    ['no domain', 'user@'],
    ['spaces inside', 'us er@example.com'],
    ['over 254 characters', `${'a'.repeat(64)}@${'b'.repeat(186)}.com`],
  ])('refuses an email with %s', async (_label, email) => {
    await expectFieldError({ email }, 'email');
  });

  it.each([
    ['a NUL', 'Ada\u0000Lovelace'],
    ['a newline inside', 'Ada\nLovelace'],
    ['an escape character', 'Ada \u001b[31mred'],
    ['a C1 control character', 'Ada\u0085Lovelace'],
  ])('refuses a name with %s before hashing, creating no user', async (_label, name) => {
    const response = await expectFieldError({ name }, 'name');
    expect(response.errors![0]!.extensions!.fields).toEqual([{ field: 'name', message: 'must not contain control characters' }]);
  });

  it.each([
    ['a NUL', 'ada\u0000@example.com'],
    ['a trailing NUL', 'ada@example.com\u0000'],
    ['a bell character', 'ada\u0007@example.com'],
  ])('refuses an email with %s before hashing, creating no user', async (_label, email) => {
    const response = await expectFieldError({ email }, 'email');
    expect(response.errors![0]!.extensions!.fields).toEqual([{ field: 'email', message: 'must not contain control characters' }]);
  });

  it('lists the name and the email together when both hold control characters', async () => {
    const response = await expectFieldError({ email: 'ada\u0000@example.com', name: 'Ada\u0000' }, 'email');
    const fields = (response.errors![0]!.extensions!.fields as Array<{ field: string }>).map((f) => f.field).sort();
    expect(fields).toEqual(['email', 'name']);
  });

  it('refuses passwords shorter than 8 code points and longer than 128, before hashing', async () => {
    await expectFieldError({ password: 'short12' }, 'password');
    await expectFieldError({ password: 'p'.repeat(129) }, 'password');
    await expectFieldError({ password: 'p'.repeat(100_000) }, 'password');
    // 7 emoji are 14 UTF-16 units but only 7 characters
    await expectFieldError({ password: '🔑'.repeat(7) }, 'password');
  });

  it('accepts passwords of 8 and 128 code points, spaces and Unicode included', async () => {
    for (const password of ['🔑'.repeat(8), 'p'.repeat(128), 'a b c d e', 'pässwörd ünïcode']) {
      const response = await server.gql(REGISTER, { input: newUser({ password }) });
      expect(response.errors).toBeUndefined();
    }
  });

  it('trims names and requires 2 to 100 characters', async () => {
    await expectFieldError({ name: ' A ' }, 'name');
    await expectFieldError({ name: 'n'.repeat(101) }, 'name');
    const response = await server.gql(REGISTER, { input: newUser({ name: '  Bo  ' }) });
    expect(response.data!.register.user.name).toBe('Bo');
  });

  it('lists every invalid field at once', async () => {
    const response = await expectFieldError({ email: 'bad', password: 'short', name: 'x' }, 'email');
    const fields = (response.errors![0]!.extensions!.fields as Array<{ field: string }>).map((f) => f.field).sort();
    expect(fields).toEqual(['email', 'name', 'password']);
  });

  it('answers a missing required argument with a request-level BAD_USER_INPUT (400)', async () => {
    const response = await server.gql(REGISTER, { input: { email: 'a@example.com', password: 'password123' } });
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

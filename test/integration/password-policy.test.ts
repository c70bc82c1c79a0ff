// The NIST SP 800-63B password policy at registration: length bounds, no composition rules, and the
// 10,000 most common passwords refused (case-insensitively) before any hashing.
import { dictionary } from '@zxcvbn-ts/language-common';
import { CountingHasher } from '../helpers/counting-hasher';
import { userCount } from '../helpers/effects';
import { REGISTER, newUser } from '../helpers/graphql';
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

const ranked = dictionary['passwords-common'];
const COMMON_MESSAGE = 'is one of the 10,000 most common passwords: choose another';

async function expectCommonRefused(password: string): Promise<void> {
  const input = newUser({ password });
  const work = hasher.total;

  const response = await server.gql(REGISTER, { input });

  expect(response.status).toBe(200);
  expect(response.errors).toHaveLength(1);
  expect(response.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: [{ field: 'password', message: COMMON_MESSAGE }] });
  expect(hasher.total).toBe(work);
  expect(await userCount(server, [input.email])).toBe(0);
}

describe('common passwords', () => {
  it.each(['password', '12345678', 'iloveyou', 'sunshine', 'trustno1'])('refuses %j, from the top of the list', async (password) => {
    await expectCommonRefused(password);
  });

  it('refuses the last password of 8 or more characters among the 10,000 most common, and any letter case of a common one', async () => {
    const lastLongEnough = ranked.slice(0, 10_000).filter((password) => [...password].length >= 8).at(-1)!;
    await expectCommonRefused(lastLongEnough);
    await expectCommonRefused('PassWord');
    await expectCommonRefused('ILOVEYOU');
  });

  it('accepts a password ranked just below the 10,000 (the list is cut by rank, not by taste)', async () => {
    const beyond = ranked.slice(10_000).find((password) => [...password].length >= 8 && !ranked.slice(0, 10_000).includes(password.toLowerCase()))!;
    const response = await server.gql(REGISTER, { input: newUser({ password: beyond }) });

    expect(response.errors).toBeUndefined();
  });

  it('has no composition rules: a long lowercase passphrase with spaces, or one in another script, is accepted', async () => {
    for (const password of ['correct horse battery staple', 'пароль надёжный длинный', '密码很长很安全的句子']) {
      const response = await server.gql(REGISTER, { input: newUser({ password }) });
      expect(response.errors).toBeUndefined();
    }
  });
});

// TOTP as a second factor (SPEC §11) through HTTP on the real PostgreSQL and Redis: enrollment, the
// MFA_REQUIRED login, verifyMfa with TOTP and recovery codes, and the rules that make codes single-use.
import jwt from 'jsonwebtoken';
import { generateURI } from 'otplib';
import { TokenService } from '../../src/auth/tokens';
import { codeOf, logIn, newAccount, newAdmin, sessionIdOf, type Account } from '../helpers/accounts';
import { LOGIN, ME } from '../helpers/graphql';
import {
  CONFIRM_TOTP, DISABLE_TOTP, enrollTotp, MFA_ENABLED, mfaChallengeOf, movableClock, REGENERATE_CODES, RESET_USER_MFA, START_TOTP, totpCode, VERIFY_MFA,
} from '../helpers/mfa';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const clock = movableClock();
let server: TestServer;
beforeAll(async () => {
  server = await createTestServer({ clock });
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

const login = (account: Pick<Account, 'email' | 'password'>, target: TestServer = server) =>
  target.gql(LOGIN, { input: { email: account.email, password: account.password } });

/** The reader's own session with users:read granted, signed on the server's (moved) clock. */
const readerToken = (reader: Account): string =>
  new TokenService(server.keys, server.config.jwt, clock).signAccess({ sub: reader.id, sid: sessionIdOf(reader.accessToken), role: 'USER', scope: 'profile:read users:read' }).token;

async function auditTypes(userId: string): Promise<string[]> {
  const { rows } = await server.database.pool.query<{ type: string; outcome: string; reason: string | null }>(
    'SELECT type, outcome, reason FROM auth_events WHERE user_id = $1 ORDER BY created_at, id',
    [userId],
  );
  return rows.map((row) => `${row.type}:${row.outcome}`);
}

async function waitForAudit(userId: string, expected: string[]): Promise<string[]> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const types = await auditTypes(userId);
    if (expected.every((entry) => types.includes(entry))) return types;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return auditTypes(userId);
}

describe('TOTP enrollment', () => {
  it('starts with a secret, an otpauth URI naming issuer and account, and a QR code as SVG; nothing changes until it is confirmed', async () => {
    const account = await newAccount(server);
    const response = await server.gql(START_TOTP, {}, { token: account.accessToken });

    const { secret, otpauthUri, qrCodeSvg } = response.data!.startTotpEnrollment;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUri).toBe(generateURI({ issuer: 'Portcullis', label: account.email, secret }));
    expect(qrCodeSvg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>.*<\/svg>\s*$/s);
    expect((await server.gql(MFA_ENABLED, {}, { token: account.accessToken })).data!.me.mfaEnabled).toBe(false);
    const plain = await login(account);
    expect(plain.errors).toBeUndefined();
    expect(plain.data!.login.accessToken).toEqual(expect.any(String));
  });

  it('stores the secret encrypted: the row holds a v1 AES-GCM ciphertext, never the secret', async () => {
    const account = await newAccount(server);
    const { secret } = (await server.gql(START_TOTP, {}, { token: account.accessToken })).data!.startTotpEnrollment;

    const { rows } = await server.database.pool.query<{ secret_ciphertext: string }>('SELECT secret_ciphertext FROM totp_factors WHERE user_id = $1', [account.id]);
    expect(rows[0]!.secret_ciphertext).toMatch(/^v1\.[\w-]{12}\.[\w-]{16}\.[\w-]+$/);
    expect(rows[0]!.secret_ciphertext).not.toContain(secret);
    expect(Buffer.from(rows[0]!.secret_ciphertext.split('.')[3]!, 'base64url').toString('latin1')).not.toContain(secret);
  });

  it('turns TOTP on with a code from the secret: ten distinct recovery codes once, mfaEnabled true, the other sessions revoked', async () => {
    const account = await newAccount(server);
    const other = await logIn(server, account);
    const { secret } = (await server.gql(START_TOTP, {}, { token: account.accessToken })).data!.startTotpEnrollment;

    const confirmed = await server.gql(CONFIRM_TOTP, { code: await totpCode(secret, clock()) }, { token: account.accessToken });
    clock.nextStep();

    const codes = confirmed.data!.confirmTotpEnrollment.codes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
    expect((await server.gql(MFA_ENABLED, {}, { token: account.accessToken })).data!.me.mfaEnabled).toBe(true);
    expect(codeOf(await server.gql(ME, {}, { token: other.accessToken }))).toBe('UNAUTHENTICATED');
    const { rows } = await server.database.pool.query<{ code_hash: string }>('SELECT code_hash FROM recovery_codes WHERE user_id = $1', [account.id]);
    expect(rows).toHaveLength(10);
    for (const code of codes) expect(rows.map((row) => row.code_hash).join()).not.toContain(code.replace(/-/g, ''));
    expect(await waitForAudit(account.id, ['MFA_ENROLLMENT_STARTED:SUCCESS', 'MFA_ENABLED:SUCCESS'])).toEqual(
      expect.arrayContaining(['MFA_ENROLLMENT_STARTED:SUCCESS', 'MFA_ENABLED:SUCCESS']),
    );
  });

  it('refuses a wrong confirmation code, a confirmation without an enrollment, and an enrollment older than 10 minutes', async () => {
    const account = await newAccount(server);
    const none = await server.gql(CONFIRM_TOTP, { code: '123456' }, { token: account.accessToken });
    expect(none.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'code', message: expect.stringContaining('no enrollment') }] });

    const { secret } = (await server.gql(START_TOTP, {}, { token: account.accessToken })).data!.startTotpEnrollment;
    const wrong = await server.gql(CONFIRM_TOTP, { code: (Number(await totpCode(secret, clock())) + 1).toString().padStart(6, '0').slice(-6) }, { token: account.accessToken });
    expect(wrong.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'code', message: 'is incorrect' }] });

    clock.advance(10 * 60 + 31);
    const late = await server.gql(CONFIRM_TOTP, { code: await totpCode(secret, clock()) }, { token: account.accessToken });
    expect(late.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'code', message: expect.stringContaining('expired') }] });
    expect((await server.gql(MFA_ENABLED, {}, { token: account.accessToken })).data!.me.mfaEnabled).toBe(false);
    expect((await login(account)).data!.login.accessToken).toEqual(expect.any(String));
  });

  it('refuses a second enrollment while TOTP is on (CONFLICT), keeping the factor that works', async () => {
    const account = await newAccount(server);
    const { secret } = await enrollTotp(server, account, clock);

    const again = await server.gql(START_TOTP, {}, { token: account.accessToken });
    expect(codeOf(again)).toBe('CONFLICT');
    const { mfaToken } = mfaChallengeOf(await login(account));
    expect((await server.gql(VERIFY_MFA, { mfaToken, code: await totpCode(secret, clock()) })).errors).toBeUndefined();
  });
});

describe('login with a second factor', () => {
  it('answers a right password with MFA_REQUIRED (HTTP 200): an mfa+jwt token and the methods, no cookies, no session', async () => {
    const account = await newAccount(server);
    await enrollTotp(server, account, clock);
    const before = await server.sessions.listByUser(account.id);

    const response = await login(account);

    expect(response.status).toBe(200);
    expect(response.data).toBeNull();
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]!.message).toBe('A second factor is required to finish signing in');
    const { mfaToken, methods } = mfaChallengeOf(response);
    expect(methods).toEqual(['TOTP', 'RECOVERY_CODE']);
    const decoded = jwt.decode(mfaToken, { complete: true })!;
    expect(decoded.header).toMatchObject({ alg: 'HS256', typ: 'mfa+jwt' });
    expect(decoded.payload).toMatchObject({ sub: account.id, exp: clock() + 300 });
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await server.sessions.listByUser(account.id)).toHaveLength(before.length);
  });

  it('answers a wrong password as before: UNAUTHENTICATED, no mfaToken', async () => {
    const account = await newAccount(server);
    await enrollTotp(server, account, clock);
    const response = await login({ ...account, password: 'not the password' });
    expect(response.errors![0]).toMatchObject({ message: 'Invalid email or password', extensions: { code: 'UNAUTHENTICATED' } });
    expect(response.errors![0]!.extensions!.mfaToken).toBeUndefined();
  });

  it('finishes with verifyMfa and a TOTP code: the AuthPayload, the cookies and a working session', async () => {
    const account = await newAccount(server);
    const { secret } = await enrollTotp(server, account, clock);
    const { mfaToken } = mfaChallengeOf(await login(account));

    const response = await server.gql(VERIFY_MFA, { mfaToken, code: await totpCode(secret, clock()) });

    expect(response.errors).toBeUndefined();
    const payload = response.data!.verifyMfa;
    expect(payload).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, refreshToken: expect.any(String), user: { id: account.id, email: account.email, mfaEnabled: true } });
    expect(Object.keys(response.cookies).sort()).toEqual(['access_token', 'logged_in', 'refresh_token']);
    expect(response.cookies.access_token!.httpOnly).toBe(true);
    expect((await server.gql(ME, {}, { token: payload.accessToken })).data!.me.id).toBe(account.id);
    const types = await waitForAudit(account.id, ['MFA_REQUIRED:SUCCESS', 'MFA_VERIFIED:SUCCESS', 'LOGIN_SUCCEEDED:SUCCESS']);
    expect(types).toEqual(expect.arrayContaining(['MFA_REQUIRED:SUCCESS', 'MFA_VERIFIED:SUCCESS', 'LOGIN_SUCCEEDED:SUCCESS']));
  });

  it('accepts a TOTP code once: the same code with a fresh mfaToken is refused as a replay', async () => {
    const account = await newAccount(server);
    const { secret } = await enrollTotp(server, account, clock);
    const code = await totpCode(secret, clock());
    const first = await server.gql(VERIFY_MFA, { mfaToken: mfaChallengeOf(await login(account)).mfaToken, code });
    expect(first.errors).toBeUndefined();

    const replay = await server.gql(VERIFY_MFA, { mfaToken: mfaChallengeOf(await login(account)).mfaToken, code });

    expect(replay.errors![0]).toMatchObject({ message: 'Invalid code', extensions: { code: 'UNAUTHENTICATED' } });
    expect(replay.data).toBeNull();
    expect(replay.cookies.access_token).toBeUndefined();
    await waitForAudit(account.id, ['MFA_FAILED:FAILURE']);
    const { rows } = await server.database.pool.query("SELECT reason FROM auth_events WHERE user_id = $1 AND type = 'MFA_FAILED'", [account.id]);
    expect(rows).toEqual([{ reason: 'TOTP code already used (4 attempts left on this mfaToken)' }]);
  });

  it('accepts codes of the step before and the step after, and refuses codes two steps away', async () => {
    const account = await newAccount(server);
    const { secret } = await enrollTotp(server, account, clock);
    const verify = async (offsetSteps: number) => {
      clock.nextStep();
      clock.nextStep(); // every attempt on a later step than any used before, so only the window decides
      const { mfaToken } = mfaChallengeOf(await login(account));
      return server.gql(VERIFY_MFA, { mfaToken, code: await totpCode(secret, clock() + offsetSteps * 30) });
    };

    // Each success resets the account's failures, so the login limit never decides here.
    expect((await verify(-1)).errors).toBeUndefined();
    expect(codeOf(await verify(-2))).toBe('UNAUTHENTICATED');
    expect((await verify(1)).errors).toBeUndefined();
    expect(codeOf(await verify(2))).toBe('UNAUTHENTICATED');
  });

  it('signs in once with each recovery code, whatever its case and dashes; a used code is refused', async () => {
    const account = await newAccount(server);
    const { recoveryCodes } = await enrollTotp(server, account, clock);
    const code = recoveryCodes[3]!;

    const first = await server.gql(VERIFY_MFA, { mfaToken: mfaChallengeOf(await login(account)).mfaToken, code: ` ${code.toUpperCase().replace(/-/g, ' ')} ` });
    expect(first.errors).toBeUndefined();
    expect(first.data!.verifyMfa.user.id).toBe(account.id);

    const again = await server.gql(VERIFY_MFA, { mfaToken: mfaChallengeOf(await login(account)).mfaToken, code });
    expect(again.errors![0]).toMatchObject({ message: 'Invalid code', extensions: { code: 'UNAUTHENTICATED' } });
    const { rows } = await server.database.pool.query('SELECT count(*)::int AS unused FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL', [account.id]);
    expect(rows[0].unused).toBe(9);
  });

  it('refuses an mfaToken a second time once it has succeeded', async () => {
    const account = await newAccount(server);
    const { secret, recoveryCodes } = await enrollTotp(server, account, clock);
    const { mfaToken } = mfaChallengeOf(await login(account));
    expect((await server.gql(VERIFY_MFA, { mfaToken, code: await totpCode(secret, clock()) })).errors).toBeUndefined();

    const reused = await server.gql(VERIFY_MFA, { mfaToken, code: recoveryCodes[0]! });

    expect(reused.errors![0]).toMatchObject({ message: 'Invalid or expired mfaToken: log in again', extensions: { code: 'UNAUTHENTICATED' } });
    expect(reused.cookies.access_token).toBeUndefined();
    const { rows } = await server.database.pool.query('SELECT count(*)::int AS unused FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL', [account.id]);
    expect(rows[0].unused).toBe(10); // the recovery code was not spent on a dead token
  });

  it('refuses an mfaToken older than 5 minutes, even with a right code', async () => {
    const account = await newAccount(server);
    const { secret } = await enrollTotp(server, account, clock);
    const { mfaToken } = mfaChallengeOf(await login(account));

    clock.advance(5 * 60 + 6); // past exp and the 5 s clock tolerance
    const late = await server.gql(VERIFY_MFA, { mfaToken, code: await totpCode(secret, clock()) });

    expect(late.errors![0]).toMatchObject({ message: 'Invalid or expired mfaToken: log in again', extensions: { code: 'UNAUTHENTICATED' } });
    expect(late.cookies.access_token).toBeUndefined();
  });

  it('stops guessing with the account login limit: RATE_LIMITED (429) after the limit, for the right code and the password too', async () => {
    const account = await newAccount(server);
    const { secret } = await enrollTotp(server, account, clock);
    const { mfaToken } = mfaChallengeOf(await login(account)); // the password step stays counted: 1 of 5
    const answers = [];
    for (let guess = 0; guess < 5; guess += 1) answers.push(await server.gql(VERIFY_MFA, { mfaToken, code: String(100000 + guess) }));

    expect(answers.slice(0, 4).map(codeOf)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
    expect(answers[4]!.status).toBe(429);
    expect(answers[4]!.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    const right = await server.gql(VERIFY_MFA, { mfaToken, code: await totpCode(secret, clock()) });
    expect(codeOf(right)).toBe('RATE_LIMITED');
    expect(codeOf(await login(account))).toBe('RATE_LIMITED');
  });

  it('kills an mfaToken after 5 wrong codes, even where the account limit is higher', async () => {
    const lenient = await createTestServer({ clock, shareWith: server, env: { ...server.env, RATE_LIMIT_LOGIN_PER_ACCOUNT: '100' } });
    try {
      const account = await newAccount(lenient);
      const { secret } = await enrollTotp(lenient, account, clock);
      const { mfaToken } = mfaChallengeOf(await login(account, lenient));
      const wrong = [];
      for (let guess = 0; guess < 5; guess += 1) wrong.push(await lenient.gql(VERIFY_MFA, { mfaToken, code: String(200000 + guess) }));
      expect(wrong.map((response) => response.errors![0]!.message)).toEqual([
        'Invalid code', 'Invalid code', 'Invalid code', 'Invalid code', 'Invalid code; this mfaToken is spent: log in again',
      ]);

      const right = await lenient.gql(VERIFY_MFA, { mfaToken, code: await totpCode(secret, clock()) });
      expect(right.errors![0]).toMatchObject({ message: 'Invalid or expired mfaToken: log in again', extensions: { code: 'UNAUTHENTICATED' } });
      // A new login gives a new token, and the same code then works (it was never accepted).
      const fresh = await lenient.gql(VERIFY_MFA, { mfaToken: mfaChallengeOf(await login(account, lenient)).mfaToken, code: await totpCode(secret, clock()) });
      expect(fresh.errors).toBeUndefined();
    } finally {
      await lenient.close();
    }
  });

  it('refuses a code replayed on another instance: the used step is shared through PostgreSQL', async () => {
    const second = await createTestServer({ clock, shareWith: server });
    try {
      const account = await newAccount(server);
      const { secret } = await enrollTotp(server, account, clock);
      const code = await totpCode(secret, clock());
      const [onFirst, onSecond] = [mfaChallengeOf(await login(account)).mfaToken, mfaChallengeOf(await login(account, second)).mfaToken];

      const answers = await Promise.all([server.gql(VERIFY_MFA, { mfaToken: onFirst, code }), second.gql(VERIFY_MFA, { mfaToken: onSecond, code })]);

      expect(answers.filter((response) => response.errors === undefined)).toHaveLength(1);
      expect(answers.map(codeOf).filter(Boolean)).toEqual(['UNAUTHENTICATED']);
    } finally {
      await second.close();
    }
  });
});

describe('managing the second factor', () => {
  it('regenerates recovery codes with a current TOTP code: the old ones stop working, the new ones work', async () => {
    const account = await newAccount(server);
    const { secret, recoveryCodes } = await enrollTotp(server, account, clock);
    const wrong = await server.gql(REGENERATE_CODES, { code: recoveryCodes[0]! }, { token: account.accessToken });
    expect(wrong.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'code', message: 'is incorrect' }] });

    const regenerated = await server.gql(REGENERATE_CODES, { code: await totpCode(secret, clock()) }, { token: account.accessToken });
    const fresh = regenerated.data!.regenerateRecoveryCodes.codes as string[];
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(recoveryCodes[0]);

    const old = await server.gql(VERIFY_MFA, { mfaToken: mfaChallengeOf(await login(account)).mfaToken, code: recoveryCodes[1]! });
    expect(codeOf(old)).toBe('UNAUTHENTICATED');
    const fine = await server.gql(VERIFY_MFA, { mfaToken: mfaChallengeOf(await login(account)).mfaToken, code: fresh[0]! });
    expect(fine.errors).toBeUndefined();
  });

  it('turns TOTP off only with the password; then a password alone signs in, and other sessions are revoked', async () => {
    const account = await newAccount(server);
    await enrollTotp(server, account, clock);
    const wrong = await server.gql(DISABLE_TOTP, { password: 'not the password' }, { token: account.accessToken });
    expect(wrong.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'password', message: 'is incorrect' }] });
    expect(mfaChallengeOf(await login(account)).methods).toContain('TOTP');

    const disabled = await server.gql(DISABLE_TOTP, { password: account.password }, { token: account.accessToken });

    expect(disabled.data!.disableTotp).toBe(true);
    expect((await server.gql(MFA_ENABLED, {}, { token: account.accessToken })).data!.me.mfaEnabled).toBe(false);
    expect((await login(account)).data!.login.user.id).toBe(account.id);
    expect((await server.gql(DISABLE_TOTP, { password: account.password }, { token: account.accessToken })).data!.disableTotp).toBe(false);
    const { rows } = await server.database.pool.query('SELECT (SELECT count(*) FROM totp_factors WHERE user_id = $1)::int AS factors, (SELECT count(*) FROM recovery_codes WHERE user_id = $1)::int AS codes', [account.id]);
    expect(rows[0]).toEqual({ factors: 0, codes: 0 });
  });

  it('lets an ADMIN reset a user’s second factor: the factor goes, every session of the user is revoked, audited with the admin as actor', async () => {
    const admin = await newAdmin(server);
    const account = await newAccount(server);
    await enrollTotp(server, account, clock);

    const byUser = await server.gql(RESET_USER_MFA, { id: admin.id }, { token: account.accessToken });
    expect(codeOf(byUser)).toBe('FORBIDDEN');
    const reset = await server.gql(RESET_USER_MFA, { id: account.id }, { token: admin.accessToken });

    expect(reset.data!.resetUserMfa).toEqual({ id: account.id, mfaEnabled: false });
    expect(codeOf(await server.gql(ME, {}, { token: account.accessToken }))).toBe('UNAUTHENTICATED');
    expect((await login(account)).data!.login.user.id).toBe(account.id);
    await waitForAudit(account.id, ['MFA_RESET:SUCCESS']);
    const { rows } = await server.database.pool.query("SELECT actor_id FROM auth_events WHERE user_id = $1 AND type = 'MFA_RESET'", [account.id]);
    expect(rows).toEqual([{ actor_id: admin.id }]);
  });

  it('shows mfaEnabled to the user and to ADMINs, and refuses it to anyone else (even with users:read)', async () => {
    const admin = await newAdmin(server);
    const account = await newAccount(server);
    await enrollTotp(server, account, clock);
    const USERS = `query($search: String) { users(search: $search) { edges { node { id mfaEnabled } } } }`;

    const asAdmin = await server.gql(USERS, { search: account.email }, { token: admin.accessToken });
    expect(asAdmin.data!.users.edges).toEqual([{ node: { id: account.id, mfaEnabled: true } }]);
    const reader = await newAccount(server);
    const asReader = await server.gql(USERS, { search: account.email }, { token: readerToken(reader) });
    expect(codeOf(asReader)).toBe('FORBIDDEN');
    expect(JSON.stringify(asReader.data)).not.toContain('true');
  });
});

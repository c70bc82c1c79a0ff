// Attack: the mfaToken is a token kind of its own (SPEC §11). It is refused wherever an access or refresh
// token is read, and verifyMfa refuses every other kind, forgeries and alterations; nothing is issued.
import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { deriveSubKey } from '../../../src/auth/keys';
import { codeOf, newAccount, type Account } from '../../helpers/accounts';
import { LOGIN, ME, REFRESH, type GraphQLResponse } from '../../helpers/graphql';
import { enrollTotp, mfaChallengeOf, movableClock, totpCode, VERIFY_MFA } from '../../helpers/mfa';
import { base64url, buildJwt } from '../../helpers/tokens';
import { createTestServer, releaseTestResources, type TestServer } from '../../helpers/test-server';

const clock = movableClock();
let server: TestServer;
let account: Account;
let secret: string;
beforeAll(async () => {
  server = await createTestServer({ clock });
  account = await newAccount(server);
  ({ secret } = await enrollTotp(server, account, clock));
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

const freshMfaToken = async (): Promise<string> =>
  mfaChallengeOf(await server.gql(LOGIN, { input: { email: account.email, password: account.password } })).mfaToken;

/** Logs in fully (so the account's login failures are reset) and returns the session's tokens. */
async function fullLogin(): Promise<{ accessToken: string; refreshToken: string }> {
  clock.nextStep();
  const response = await server.gql(VERIFY_MFA, { mfaToken: await freshMfaToken(), code: await totpCode(secret, clock()) });
  if (!response.data?.verifyMfa) throw new Error(response.text);
  return response.data.verifyMfa;
}

function expectNothingIssued(response: GraphQLResponse): void {
  expect(response.data).toBeNull();
  expect(response.cookies.access_token).toBeUndefined();
  expect(response.cookies.refresh_token).toBeUndefined();
}

describe('the mfaToken elsewhere', () => {
  it('is refused as an access token, in the Authorization header and in the access_token cookie', async () => {
    const mfaToken = await freshMfaToken();

    expect(codeOf(await server.gql(ME, {}, { token: mfaToken }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await server.gql(ME, {}, { cookies: { access_token: mfaToken } }))).toBe('UNAUTHENTICATED');
  });

  it('is refused as a refresh token, as the argument and as the refresh_token cookie', async () => {
    const mfaToken = await freshMfaToken();

    for (const response of [await server.gql(REFRESH, { refreshToken: mfaToken }), await server.gql(REFRESH, {}, { cookies: { refresh_token: mfaToken } })]) {
      expect(response.errors![0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
      expectNothingIssued(response);
    }
    await fullLogin(); // the mfaTokens above were counted as login attempts of the account: reset them
  });

  it('is verified with a key of its own: its kid is neither the access nor the refresh key', async () => {
    const { header } = jwt.decode(await freshMfaToken(), { complete: true })!;
    expect(header.kid).not.toBe(server.keys.access.kid);
    expect(header.kid).not.toBe(server.keys.refresh.kid);
    await fullLogin();
  });
});

describe('verifyMfa with anything but an mfaToken', () => {
  it('refuses an access token and a refresh token of a live session', async () => {
    const { accessToken, refreshToken } = await fullLogin();
    clock.nextStep();
    const code = await totpCode(secret, clock());

    for (const token of [accessToken, refreshToken]) {
      const response = await server.gql(VERIFY_MFA, { mfaToken: token, code });
      expect(response.errors![0]).toMatchObject({ message: 'Invalid or expired mfaToken: log in again', extensions: { code: 'UNAUTHENTICATED' } });
      expectNothingIssued(response);
    }
    // The code was never consumed by those attempts: it still finishes a real login.
    expect((await server.gql(VERIFY_MFA, { mfaToken: await freshMfaToken(), code })).errors).toBeUndefined();
  });

  it('refuses forgeries: signed with the access or refresh secret, unsigned, alg none, another typ, or claims altered', async () => {
    const real = await freshMfaToken();
    const { header, payload } = jwt.decode(real, { complete: true }) as unknown as { header: Record<string, unknown>; payload: Record<string, unknown> };
    const mfaKey = deriveSubKey(server.keys.refresh, 'portcullis mfa token v1');
    const [encodedHeader, encodedPayload, signature] = real.split('.') as [string, string, string];
    const otherUser = await newAccount(server);
    const forgeries: Array<[string, string]> = [
      ['signed with the access secret', buildJwt({ header, payload, key: server.keys.access.signingKey })],
      ['signed with the refresh secret', buildJwt({ header, payload, key: server.keys.refresh.signingKey })],
      ['unsigned', `${encodedHeader}.${encodedPayload}.`],
      ['alg none', buildJwt({ header: { ...header, alg: 'none' }, payload, alg: 'none' })],
      ['typ at+jwt under the mfa key', buildJwt({ header: { ...header, typ: 'at+jwt' }, payload, key: mfaKey })],
      ['no typ under the mfa key', buildJwt({ header: { alg: 'HS256', kid: header.kid }, payload, key: mfaKey })],
      ['sub changed, signature kept', `${encodedHeader}.${base64url(JSON.stringify({ ...payload, sub: otherUser.id }))}.${signature}`],
      ['exp extended, signature kept', `${encodedHeader}.${base64url(JSON.stringify({ ...payload, exp: Number(payload.exp) + 3600 }))}.${signature}`],
      ['signature of another message', `${encodedHeader}.${encodedPayload}.${createHmac('sha256', 'guess').update('x').digest('base64url')}`],
    ];
    clock.nextStep();
    const code = await totpCode(secret, clock());

    for (const [name, token] of forgeries) {
      const response = await server.gql(VERIFY_MFA, { mfaToken: token, code });
      expect([name, codeOf(response)]).toEqual([name, 'UNAUTHENTICATED']);
      expectNothingIssued(response);
    }
    expect((await server.gql(VERIFY_MFA, { mfaToken: real, code })).errors).toBeUndefined();
  });

  it('refuses two verifyMfa fields (or verifyMfa with loginWithPasskey) in one operation before anything runs', async () => {
    const mfaToken = await freshMfaToken();
    const aliased = await server.gql(`mutation($t: String!) { a: verifyMfa(mfaToken: $t, code: "000001") { accessToken } b: verifyMfa(mfaToken: $t, code: "000002") { accessToken } }`, { t: mfaToken });
    const mixed = await server.gql(`mutation($t: String!) { verifyMfa(mfaToken: $t, code: "000001") { accessToken } loginWithPasskey(response: {}) { accessToken } }`, { t: mfaToken });

    for (const response of [aliased, mixed]) {
      expect(response.status).toBe(400);
      expect(response.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    // Nothing ran: the token has no failures, so the right code still works with it.
    clock.nextStep();
    expect((await server.gql(VERIFY_MFA, { mfaToken, code: await totpCode(secret, clock()) })).errors).toBeUndefined();
  });

  it('refuses a secret moved to another user’s row: the ciphertext is bound to its user', async () => {
    const victim = await newAccount(server);
    await enrollTotp(server, victim, clock);
    // An attacker with write access to one row copies the known account's encrypted secret over the victim's.
    await server.database.pool.query('UPDATE totp_factors SET secret_ciphertext = (SELECT secret_ciphertext FROM totp_factors WHERE user_id = $1) WHERE user_id = $2', [account.id, victim.id]);
    const { mfaToken } = mfaChallengeOf(await server.gql(LOGIN, { input: { email: victim.email, password: victim.password } }));

    const response = await server.gql(VERIFY_MFA, { mfaToken, code: await totpCode(secret, clock()) });

    expect(response.errors![0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expectNothingIssued(response);
  });
});

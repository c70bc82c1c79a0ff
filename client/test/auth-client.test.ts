// createAuthClient's typed helpers against a scripted GraphQL endpoint (the fetch it is given): the
// login → MFA_REQUIRED → verifyMfa step and the §10 recovery helpers, and what each request carried.
import { createAuthClient, errorCode, mfaChallenge } from '../src/auth-client.js';

const USER = { __typename: 'User', id: 'u1', email: 'ada@example.com', name: 'Ada', role: 'USER', emailVerified: false, createdAt: '2026-12-06T12:00:00.000Z' };
const payload = (accessToken: string) => ({ __typename: 'AuthPayload', accessToken, expiresIn: 900, user: USER });
const MFA_REQUIRED = { errors: [{ message: 'A second factor is required', extensions: { code: 'MFA_REQUIRED', mfaToken: 'mfa-token-1', methods: ['totp', 'recovery_code'] } }] };
const error = (code: string, message = code) => ({ errors: [{ message, extensions: { code } }] });

interface Sent {
  operation: string;
  variables: Record<string, unknown>;
  authorization: string | undefined;
  credentials: RequestCredentials | undefined;
}

/** The API as a script: operation name → the body it answers. Records every request. */
function endpoint(answers: Record<string, (variables: Record<string, unknown>) => object>) {
  const sent: Sent[] = [];
  const fetch = async (_uri: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const body = JSON.parse(init?.body as string) as { operationName: string; variables?: Record<string, unknown> };
    const headers = new Headers(init?.headers);
    sent.push({ operation: body.operationName, variables: body.variables ?? {}, authorization: headers.get('authorization') ?? undefined, credentials: init?.credentials });
    const answer = answers[body.operationName]?.(body.variables ?? {}) ?? error('INTERNAL_SERVER_ERROR', `unexpected ${body.operationName}`);
    return new Response(JSON.stringify(answer), { headers: { 'content-type': 'application/json' } });
  };
  const client = createAuthClient({ uri: 'https://auth.example.com/graphql', fetch, refreshAhead: false });
  return { client, sent };
}

afterEach(() => jest.restoreAllMocks());

describe('login with a second factor', () => {
  test('login on an account with TOTP answers mfa-required with the token and methods, and signs nothing in', async () => {
    const { client, sent } = endpoint({ Login: () => MFA_REQUIRED });
    const result = await client.login({ email: 'ada@example.com', password: 'correct horse battery staple' });
    expect(result).toEqual({ kind: 'mfa-required', mfaToken: 'mfa-token-1', methods: ['totp', 'recovery_code'] });
    expect(client.session.status).not.toBe('signed-in');
    expect(client.session.accessToken).toBeUndefined();
    expect(sent.map((request) => request.operation)).toEqual(['Login']);
    client.close();
  });

  test('verifyMfa signs in like login: the session holds the new token and the next operation sends it', async () => {
    const { client, sent } = endpoint({
      Login: () => MFA_REQUIRED,
      VerifyMfa: ({ mfaToken, code }) => (mfaToken === 'mfa-token-1' && code === '123456' ? { data: { verifyMfa: payload('at-mfa') } } : error('UNAUTHENTICATED')),
      Me: () => ({ data: { me: USER } }),
    });
    const result = await client.login({ email: 'ada@example.com', password: 'correct horse battery staple' });
    if (result.kind !== 'mfa-required') throw new Error('expected mfa-required');
    const user = await client.verifyMfa(result.mfaToken, '123456');
    expect(user).toMatchObject({ id: 'u1', email: 'ada@example.com' });
    expect(client.session.status).toBe('signed-in');
    expect(client.session.accessToken).toBe('at-mfa');
    await client.me();
    // verifyMfa carries the cookies (the refresh cookie is set on its answer); Me carries the new Bearer token and no cookies.
    expect(sent.slice(1)).toEqual([
      { operation: 'VerifyMfa', variables: { mfaToken: 'mfa-token-1', code: '123456' }, authorization: undefined, credentials: 'include' },
      { operation: 'Me', variables: {}, authorization: 'Bearer at-mfa', credentials: 'omit' },
    ]);
    client.close();
  });

  test('a wrong code is thrown as UNAUTHENTICATED, sent once, with no refresh and no sign-in', async () => {
    const { client, sent } = endpoint({ VerifyMfa: () => error('UNAUTHENTICATED', 'Invalid code') });
    const failure = await client.verifyMfa('mfa-token-1', '000000').catch((thrown: unknown) => thrown);
    expect(errorCode(failure)).toBe('UNAUTHENTICATED');
    expect(sent.map((request) => request.operation)).toEqual(['VerifyMfa']);
    expect(client.session.status).not.toBe('signed-in');
    client.close();
  });

  test('a login without a second factor answers signed-in with the user, and other login errors are thrown as they are', async () => {
    const { client } = endpoint({ Login: ({ input }) => ((input as { password: string }).password === 'right password' ? { data: { login: payload('at-1') } } : error('UNAUTHENTICATED', 'Invalid email or password')) });
    expect(await client.login({ email: 'ada@example.com', password: 'right password' })).toMatchObject({ kind: 'signed-in', user: { id: 'u1' } });
    expect(client.session.accessToken).toBe('at-1');
    const failure = await client.login({ email: 'ada@example.com', password: 'wrong password' }).catch((thrown: unknown) => thrown);
    expect(errorCode(failure)).toBe('UNAUTHENTICATED');
    client.close();
  });

  test('an MFA_REQUIRED without an mfaToken is not a challenge: login throws it, and mfaChallenge reads only GraphQL errors', async () => {
    const { client } = endpoint({ Login: () => error('MFA_REQUIRED') });
    const failure = await client.login({ email: 'ada@example.com', password: 'correct horse battery staple' }).catch((thrown: unknown) => thrown);
    expect(errorCode(failure)).toBe('MFA_REQUIRED');
    expect(mfaChallenge(failure)).toBeUndefined();
    expect(mfaChallenge(new Error('network down'))).toBeUndefined();
    client.close();
  });
});

describe('account recovery helpers (SPEC §10)', () => {
  test('each helper sends its operation with its variables and returns the answer', async () => {
    const { client, sent } = endpoint({
      VerifyEmail: () => ({ data: { verifyEmail: { ...USER, emailVerified: true } } }),
      ResendVerificationEmail: () => ({ data: { resendVerificationEmail: true } }),
      RequestPasswordReset: () => ({ data: { requestPasswordReset: true } }),
      ResetPassword: () => ({ data: { resetPassword: true } }),
      RequestEmailChange: () => ({ data: { requestEmailChange: true } }),
      ConfirmEmailChange: () => ({ data: { confirmEmailChange: { ...USER, email: 'new@example.com' } } }),
    });
    expect(await client.verifyEmail('verify-token')).toMatchObject({ emailVerified: true });
    expect(await client.resendVerificationEmail()).toBe(true);
    expect(await client.requestPasswordReset('ada@example.com')).toBe(true);
    expect(await client.resetPassword('reset-token', 'a new long password')).toBe(true);
    expect(await client.requestEmailChange('current password', 'new@example.com')).toBe(true);
    expect(await client.confirmEmailChange('confirm-token')).toMatchObject({ email: 'new@example.com' });
    expect(sent.map(({ operation, variables }) => [operation, variables])).toEqual([
      ['VerifyEmail', { token: 'verify-token' }],
      ['ResendVerificationEmail', {}],
      ['RequestPasswordReset', { email: 'ada@example.com' }],
      ['ResetPassword', { token: 'reset-token', newPassword: 'a new long password' }],
      ['RequestEmailChange', { currentPassword: 'current password', newEmail: 'new@example.com' }],
      ['ConfirmEmailChange', { token: 'confirm-token' }],
    ]);
    client.close();
  });

  test('an expired reset token is thrown with its code and nothing else is sent', async () => {
    const { client, sent } = endpoint({ ResetPassword: () => error('BAD_USER_INPUT', 'This link has expired') });
    const failure = await client.resetPassword('old-token', 'a new long password').catch((thrown: unknown) => thrown);
    expect(errorCode(failure)).toBe('BAD_USER_INPUT');
    expect(sent).toHaveLength(1);
    client.close();
  });
});

// Second-factor test helpers: operations, a clock the tests move, and enrollment through the real API
// with codes computed by otplib from the secret the server returned (as an authenticator app would).
import { generate } from 'otplib';
import type { Account } from './accounts';
import type { GraphQLResponse } from './graphql';
import type { TestServer } from './test-server';

export const START_TOTP = /* GraphQL */ `mutation { startTotpEnrollment { secret otpauthUri qrCodeSvg } }`;
export const CONFIRM_TOTP = /* GraphQL */ `mutation Confirm($code: String!) { confirmTotpEnrollment(code: $code) { codes } }`;
export const REGENERATE_CODES = /* GraphQL */ `mutation Regenerate($code: String!) { regenerateRecoveryCodes(code: $code) { codes } }`;
export const DISABLE_TOTP = /* GraphQL */ `mutation Disable($password: String!) { disableTotp(password: $password) }`;
export const VERIFY_MFA = /* GraphQL */ `
  mutation VerifyMfa($mfaToken: String!, $code: String!) {
    verifyMfa(mfaToken: $mfaToken, code: $code) { accessToken refreshToken tokenType expiresIn user { id email mfaEnabled } }
  }
`;
export const RESET_USER_MFA = /* GraphQL */ `mutation Reset($id: ID!) { resetUserMfa(id: $id) { id mfaEnabled } }`;
export const MFA_ENABLED = /* GraphQL */ `query { me { id mfaEnabled } }`;

/** Seconds since the epoch, moved by the test; starts at a step's first second so ±steps are exact. */
export function movableClock() {
  let now = Math.floor(Date.now() / 1000 / 30) * 30 + 1;
  const clock = () => now;
  return Object.assign(clock, {
    advance(seconds: number) {
      now += seconds;
    },
    /** To the start of the next 30 s step: the next TOTP code is new. */
    nextStep() {
      now = (Math.floor(now / 30) + 1) * 30 + 1;
    },
  });
}

export const totpCode = (secret: string, epoch: number): Promise<string> => generate({ secret, epoch });

export interface Enrolled {
  secret: string;
  recoveryCodes: string[];
}

/** Enrolls and confirms TOTP for the account at the clock's current step, then moves the clock to the next step. */
export async function enrollTotp(server: TestServer, account: Pick<Account, 'accessToken'>, clock: ReturnType<typeof movableClock>): Promise<Enrolled> {
  const started = await server.gql(START_TOTP, {}, { token: account.accessToken });
  const secret = started.data?.startTotpEnrollment?.secret as string | undefined;
  if (!secret) throw new Error(`startTotpEnrollment failed: ${started.text}`);
  const confirmed = await server.gql(CONFIRM_TOTP, { code: await totpCode(secret, clock()) }, { token: account.accessToken });
  const codes = confirmed.data?.confirmTotpEnrollment?.codes as string[] | undefined;
  if (!codes) throw new Error(`confirmTotpEnrollment failed: ${confirmed.text}`);
  clock.nextStep();
  return { secret, recoveryCodes: codes };
}

/** The MFA_REQUIRED error's extensions of a login response. */
export function mfaChallengeOf(response: GraphQLResponse): { mfaToken: string; methods: string[] } {
  const error = response.errors?.[0];
  if (error?.extensions?.code !== 'MFA_REQUIRED') throw new Error(`expected MFA_REQUIRED, got ${response.text}`);
  return error.extensions as { mfaToken: string; methods: string[] };
}

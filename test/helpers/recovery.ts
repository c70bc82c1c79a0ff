// GraphQL operations of SPEC §10 for tests, and a server wired to a real SMTP server in the test process.
import { startMailbox, type Mailbox } from './mailbox';
import { createTestServer, type TestServer, type TestServerOptions } from './test-server';

export const VERIFY_EMAIL = /* GraphQL */ `mutation VerifyEmail($token: String!) { verifyEmail(token: $token) { id email emailVerified } }`;
export const RESEND_VERIFICATION = /* GraphQL */ `mutation Resend { resendVerificationEmail }`;
export const REQUEST_RESET = /* GraphQL */ `mutation RequestReset($email: String!) { requestPasswordReset(email: $email) }`;
export const RESET_PASSWORD = /* GraphQL */ `mutation Reset($token: String!, $newPassword: String!) { resetPassword(token: $token, newPassword: $newPassword) }`;
export const REQUEST_EMAIL_CHANGE = /* GraphQL */ `mutation RequestChange($newEmail: String!, $currentPassword: String!) { requestEmailChange(newEmail: $newEmail, currentPassword: $currentPassword) }`;
export const CONFIRM_EMAIL_CHANGE = /* GraphQL */ `mutation ConfirmChange($token: String!) { confirmEmailChange(token: $token) { id email emailVerified } }`;
export const ME_VERIFIED = /* GraphQL */ `query MeVerified { me { id email emailVerified } }`;
export const CHANGE_PASSWORD = /* GraphQL */ `mutation ChangePassword($currentPassword: String!, $newPassword: String!) { changePassword(currentPassword: $currentPassword, newPassword: $newPassword) }`;

/** A server that sends its mail to `mailbox` (started here unless given), retrying after 1 s. */
export async function serverWithMailbox(options: TestServerOptions & { mailbox?: Mailbox } = {}): Promise<{ server: TestServer; mailbox: Mailbox }> {
  const mailbox = options.mailbox ?? (await startMailbox());
  const server = await createTestServer({ ...options, env: { SMTP_URL: mailbox.url, MAIL_RETRY_DELAY: '1s', ...options.env } });
  return { server, mailbox };
}

/** The audit events of a user, oldest first, read from the table (the log writes in the background). */
export async function auditTypes(server: TestServer, userId: string): Promise<string[]> {
  const { rows } = await server.database.pool.query<{ type: string; outcome: string }>(
    `SELECT type, outcome FROM auth_events WHERE user_id = $1 ORDER BY created_at, id`,
    [userId],
  );
  return rows.map((row) => `${row.type}:${row.outcome}`);
}

export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// SPEC §10: no token or link is ever logged in production. The whole recovery flow runs at LOG_LEVEL=trace
// in production mode, mails to a real SMTP server, one refused for good; no log line may hold a token.
import pino from 'pino';
import { newAccount } from '../../helpers/accounts';
import { realPostgresUrl, realRedisUrl } from '../../helpers/backends';
import type { Mailbox } from '../../helpers/mailbox';
import { auditTypes, eventually, REQUEST_RESET, RESET_PASSWORD, serverWithMailbox, VERIFY_EMAIL } from '../../helpers/recovery';
import { releaseTestResources, type TestServer } from '../../helpers/test-server';

const lines: string[] = [];
let server: TestServer;
let mailbox: Mailbox;
afterAll(async () => {
  await server?.close();
  await mailbox?.close();
  await releaseTestResources();
});

// Production refuses the embedded stores: this needs the real PostgreSQL and Redis.
(realPostgresUrl() && realRedisUrl() ? it : it.skip)('logs no token or link in production, through every flow and a failed delivery', async () => {
  ({ server, mailbox } = await serverWithMailbox({
    env: { NODE_ENV: 'production', LOG_LEVEL: 'trace' },
    logger: pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) }),
  }));
  const account = await newAccount(server);
  const verify = await mailbox.waitFor(account.email);
  await server.gql(VERIFY_EMAIL, { token: verify.token });
  await server.gql(REQUEST_RESET, { email: account.email });
  const reset = await mailbox.waitFor((mail) => mail.subject === 'Reset your password');
  await server.gql(RESET_PASSWORD, { token: reset.token, newPassword: 'a brand new passphrase' });
  await server.gql(RESET_PASSWORD, { token: reset.token, newPassword: 'a brand new passphrase' }); // refused: used
  mailbox.refuseWith = 550;
  await server.gql(REQUEST_RESET, { email: account.email });
  await eventually(() => auditTypes(server, account.id), (types) => types.includes('MAIL_FAILED:FAILURE'));

  const log = lines.join('');
  expect(log).toContain('mail failed for good'); // the capture works: the failure was logged
  for (const token of [verify.token!, reset.token!]) expect(log).not.toContain(token);
  expect(log).not.toMatch(/token=/);
  expect(log).not.toContain('localhost:3000');
});

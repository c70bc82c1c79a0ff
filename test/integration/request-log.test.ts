// The request log (SPEC §13): one line per request with its id (X-Request-Id honoured or made, and
// returned), operation, status, duration and viewer; never a token, password or email.
import { Writable } from 'node:stream';
import pino from 'pino';
import { LOGIN, ME, REFRESH, registerUser } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const lines: Array<Record<string, unknown>> = [];
let text = '';
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    text += chunk.toString();
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});

let server: TestServer;
beforeAll(async () => {
  // No verification mail: in development the dev mailbox logs each mail's address and link on purpose
  // (SPEC §10; production never does, test/integration/attacks/mail-logs.test.ts). This is about requests.
  server = await createTestServer({ logger: pino({ level: 'info' }, sink), env: { EMAIL_VERIFICATION: 'off' } });
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

const requestLines = () => lines.filter((line) => line.msg === 'request');
const lineOf = (requestId: string) => requestLines().filter((line) => line.requestId === requestId);
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

it('writes one line per request with the caller\'s X-Request-Id, returned in the response, and the operation, status, duration and viewer', async () => {
  const account = await registerUser(server);
  const response = await server.gql(ME, {}, { token: account.accessToken, headers: { 'x-request-id': 'edge-7f3a.42' } });
  await settle();

  expect(response.headers.get('x-request-id')).toBe('edge-7f3a.42');
  expect(lineOf('edge-7f3a.42')).toEqual([
    {
      level: 30,
      time: expect.any(Number),
      pid: expect.any(Number),
      hostname: expect.any(String),
      msg: 'request',
      requestId: 'edge-7f3a.42',
      method: 'POST',
      path: '/graphql',
      operation: 'query Me',
      status: 200,
      durationMs: expect.any(Number),
      viewerId: account.user.id,
    },
  ]);
});

it('makes a request id when there is none or it is not a plain short string, and returns it', async () => {
  for (const offered of [undefined, 'has spaces and "quotes"', 'x'.repeat(129), 'line\nbreak'.replace('\n', '%0A{')]) {
    const response = await fetch(new URL('/health', server.origin), { headers: offered ? { 'x-request-id': offered } : {} });
    await settle();
    const id = response.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lineOf(id)).toEqual([expect.objectContaining({ method: 'GET', path: '/health', status: 200 })]);
  }
});

it('names the signed-in user on a login line and no one on a failed one, and never logs a token, password or email', async () => {
  const account = await registerUser(server);
  const login = await server.gql(LOGIN, { input: { email: account.input.email, password: account.input.password } }, { headers: { 'x-request-id': 'login-ok' } });
  const failed = await server.gql(LOGIN, { input: { email: account.input.email, password: 'a wrong password here' } }, { headers: { 'x-request-id': 'login-bad' } });
  const refreshed = await server.gql(REFRESH, { refreshToken: login.data!.login.refreshToken }, { headers: { 'x-request-id': 'refresh-ok' } });
  await fetch(new URL(`/graphql?query=${encodeURIComponent('{ me { email } }')}&token=${account.accessToken}`, server.origin), { headers: { 'x-request-id': 'get-with-query' } });
  await settle();

  expect(failed.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  expect(lineOf('login-ok')).toEqual([expect.objectContaining({ operation: 'mutation Login', status: 200, viewerId: account.user.id })]);
  expect(lineOf('login-bad')).toEqual([expect.objectContaining({ operation: 'mutation Login', status: 200 })]);
  expect(lineOf('login-bad')[0]).not.toHaveProperty('viewerId');
  expect(lineOf('refresh-ok')).toEqual([expect.objectContaining({ operation: 'mutation Refresh', viewerId: account.user.id })]);
  expect(lineOf('get-with-query')).toEqual([expect.objectContaining({ method: 'GET', path: '/graphql' })]);

  for (const secret of [
    account.input.email,
    account.input.password,
    'a wrong password here',
    account.accessToken,
    account.refreshToken,
    login.data!.login.accessToken,
    login.data!.login.refreshToken,
    refreshed.data!.refresh.refreshToken,
  ]) {
    expect(text).not.toContain(secret);
  }
});

it('below info writes no request line but still returns the X-Request-Id, and logs again once the level is info', async () => {
  const quietLines: string[] = [];
  const quietSink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      quietLines.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: 'warn' }, quietSink);
  const quiet = await createTestServer({ logger, shareWith: server, env: { EMAIL_VERIFICATION: 'off' } });
  try {
    const response = await quiet.gql('{ __typename }', {}, { headers: { 'x-request-id': 'quiet-1' } });
    await settle();
    expect(response.headers.get('x-request-id')).toBe('quiet-1');
    expect(quietLines).toEqual([]);

    logger.level = 'info';
    await quiet.gql('{ __typename }', {}, { headers: { 'x-request-id': 'quiet-2' } });
    await settle();
    expect(quietLines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ msg: 'request', requestId: 'quiet-2', operation: 'query (anonymous)', status: 200 }),
    ]);
  } finally {
    await quiet.close();
  }
});

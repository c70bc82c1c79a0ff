// What each answer to the refresh call means to the client: only a refusal of the session is final;
// an outage, a rate limit or a broken proxy are worth retrying. A real HTTP server on loopback answers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { refreshOverHttp } from '../src/refresh-request.js';

let answer: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: '{}' };
const received: Array<{ method?: string; type?: string; body: string }> = [];
let server: http.Server;
let uri: string;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ method: request.method, type: request.headers['content-type'], body });
      response.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const graphql = (status: number, payload: unknown) => (answer = { status, type: 'application/json', body: JSON.stringify(payload) });
const error = (code: string) => ({ data: null, errors: [{ message: code, extensions: { code } }] });

test('sends the refresh mutation as JSON (never a form or text/plain body), with no token of its own', async () => {
  graphql(200, { data: { refresh: { accessToken: 'at', expiresIn: 900 } } });
  expect(await refreshOverHttp(uri)()).toEqual({ kind: 'refreshed', accessToken: 'at', expiresIn: 900 });
  const last = received.at(-1)!;
  expect(last.method).toBe('POST');
  expect(last.type).toBe('application/json');
  expect(JSON.parse(last.body)).toEqual({ operationName: 'Refresh', query: 'mutation Refresh { refresh { accessToken expiresIn } }' });
});

test.each(['UNAUTHENTICATED', 'FORBIDDEN'])('%s (reused, expired or revoked token; disabled account) is final', async (code) => {
  graphql(200, error(code));
  expect(await refreshOverHttp(uri)()).toEqual({ kind: 'rejected', code });
});

test.each([
  [503, 'SERVICE_UNAVAILABLE'],
  [429, 'RATE_LIMITED'],
  [200, 'INTERNAL_SERVER_ERROR'],
])('HTTP %i with %s is not a sign-out: worth retrying', async (status, code) => {
  graphql(status, error(code));
  expect(await refreshOverHttp(uri)()).toEqual({ kind: 'unavailable', reason: code });
});

test('a proxy answering HTML instead of GraphQL is not a sign-out', async () => {
  answer = { status: 502, type: 'text/html', body: '<h1>Bad gateway</h1>' };
  expect(await refreshOverHttp(uri)()).toEqual({ kind: 'unavailable', reason: 'HTTP 502 without a GraphQL body' });
});

test('a server that is not there is not a sign-out', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  expect(await refreshOverHttp(`http://127.0.0.1:${port}/graphql`)()).toMatchObject({ kind: 'unavailable' });
});

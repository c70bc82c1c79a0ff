// The coprocessor listener's own HTTP handling (a plain node:http handler, no framework): methods and
// paths, media type, body limit, keep-alive, and requests that are slow, cut off or never finish, none
// of which may take the listener down or hold up the router's other requests.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { registerUser } from '../helpers/graphql';
import { createTestServer, releaseTestResources, type TestServer } from '../helpers/test-server';

const LIMIT_BYTES = 10 * 1024;
const request = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/coprocessor/router-request.json'), 'utf8')) as Record<string, unknown>;
const documented = JSON.stringify(request);

let server: TestServer;
let url: URL;
beforeAll(async () => {
  server = await createTestServer({ env: { COPROCESSOR_PORT: '0', BODY_LIMIT: `${LIMIT_BYTES}b` } });
  url = new URL(server.coprocessorUrl!);
});
afterAll(async () => {
  await server.close();
  await releaseTestResources();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  reusedSocket: boolean;
}

/** One request with node:http, so that headers (or their absence) and the body are exactly what is sent. */
function send(options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | string[]; agent?: http.Agent }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { host: url.hostname, port: url.port, method: options.method ?? 'POST', path: options.path ?? url.pathname, headers: options.headers ?? { 'content-type': 'application/json' }, agent: options.agent },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, text, reusedSocket: outgoing.reusedSocket }));
      },
    );
    outgoing.on('error', reject);
    for (const chunk of [options.body ?? documented].flat()) outgoing.write(chunk);
    outgoing.end();
  });
}

/** A raw connection that sends the request head and the first part of a body, then waits. */
function halfSent(declaredLength: number, part: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => {
      socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${declaredLength}\r\n\r\n${part}`);
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

const isContinue = (answer: Answer) => answer.status === 200 && (JSON.parse(answer.text) as { control?: unknown }).control === 'continue';

describe('methods and paths', () => {
  it.each(['GET', 'PUT', 'DELETE', 'PATCH'])('answers 404 to %s /coprocessor', async (method) => {
    const answer = await send({ method, body: method === 'GET' ? '' : documented });
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.text)).toEqual({ error: 'only POST /coprocessor is served here' });
  });

  it('answers 404 to POST on another path, even one that starts like it', async () => {
    for (const other of ['/', '/coprocessor/x', '/coprocessors', '/graphql']) {
      expect((await send({ path: other })).status).toBe(404);
    }
  });

  it('serves POST /coprocessor with a query string like without one', async () => {
    expect(isContinue(await send({ path: `${url.pathname}?from=router` }))).toBe(true);
  });
});

describe('the media type', () => {
  it('accepts application/json with a UTF-8 charset, whatever its case', async () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8']) {
      expect(isContinue(await send({ headers: { 'content-type': type } }))).toBe(true);
    }
  });

  it('answers 400 without a content type or with another one, without reading the body as JSON', async () => {
    for (const headers of [{} as Record<string, string>, { 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }, { 'content-type': 'application/jsonx' }]) {
      const answer = await send({ headers });
      expect(answer.status).toBe(400);
      expect(answer.text).not.toContain('continue');
    }
  });

  it('answers 415 to another charset and to a compressed body', async () => {
    const latin1 = await send({ headers: { 'content-type': 'application/json; charset=iso-8859-1' } });
    const gzip = await send({ headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });

    expect([latin1.status, gzip.status]).toEqual([415, 415]);
    expect(JSON.parse(latin1.text).error).toBe('unsupported charset iso-8859-1: send UTF-8');
    expect(JSON.parse(gzip.text).error).toBe('unsupported content-encoding gzip: send the body uncompressed');
  });
});

describe('the body limit (BODY_LIMIT)', () => {
  const padded = (bytes: number) => JSON.stringify({ ...request, padding: 'x'.repeat(bytes - documented.length - ',"padding":""'.length) });

  it('reads a body of exactly the limit', async () => {
    const body = padded(LIMIT_BYTES);
    expect(Buffer.byteLength(body)).toBe(LIMIT_BYTES);
    expect(isContinue(await send({ body }))).toBe(true);
  });

  it('answers 413 and closes the connection for a declared length one byte over, and keeps serving', async () => {
    const answer = await send({ body: padded(LIMIT_BYTES + 1) });

    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text)).toEqual({ error: 'body too large' });
    expect(answer.headers.connection).toBe('close');
    expect(isContinue(await send({}))).toBe(true);
  });

  it('answers 413 to a chunked body that grows past the limit, without reading the rest', async () => {
    const chunk = 'x'.repeat(4096);
    const answer = await send({ headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, body: ['{"padding":"', ...Array<string>(3).fill(chunk), '"}'] });

    expect(answer.status).toBe(413);
    expect(isContinue(await send({}))).toBe(true);
  });
});

describe('connections', () => {
  it('keeps a connection alive across checks, as the router\'s connection pool expects', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const alice = await registerUser(server);
      const body = JSON.stringify({ ...request, headers: { authorization: [`Bearer ${alice.accessToken}`] } });
      const answers = [await send({ agent, body }), await send({ agent, body }), await send({ agent, body: '{' }), await send({ agent, body })];

      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 400, 200]);
      expect(answers.map((answer) => answer.reusedSocket)).toEqual([false, true, true, true]);
      expect(JSON.parse(answers[3]!.text).context.entries['apollo::authentication::jwt_claims'].sub).toBe(alice.user.id);
    } finally {
      agent.destroy();
    }
  });

  it('answers other checks while a body arrives slowly, then answers the slow one once it is complete', async () => {
    const slow = await halfSent(Buffer.byteLength(documented), documented.slice(0, 100));
    const answered = new Promise<string>((resolve) => {
      let text = '';
      slow.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      slow.on('end', () => resolve(text)).on('close', () => resolve(text));
    });
    expect(isContinue(await send({}))).toBe(true);

    slow.end(documented.slice(100)); // half-close after the body: the server answers, then closes
    const raw = await answered;
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(raw).toContain('"control":"continue"');
  });

  it('survives a request cut off in the middle of its body, and one cut off before its body', async () => {
    const cutInBody = await halfSent(5_000, '{"version":1,');
    const cutBeforeBody = await halfSent(5_000, '');
    cutInBody.destroy();
    cutBeforeBody.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(server.app.coprocessor!.server.listening).toBe(true);
    expect(isContinue(await send({}))).toBe(true);
  });

  it('answers 400, not a crash, to a body shorter than its declared length when the client half-closes', async () => {
    const short = await halfSent(5_000, documented);
    const raw = await new Promise<string>((resolve) => {
      let text = '';
      short.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      short.on('close', () => resolve(text));
      short.end();
    });

    expect(raw === '' || /^HTTP\/1\.1 400/.test(raw)).toBe(true);
    expect(isContinue(await send({}))).toBe(true);
  });
});

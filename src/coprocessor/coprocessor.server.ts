// The coprocessor's own listener (COPROCESSOR_PORT on COPROCESSOR_HOST): a token-validation endpoint
// with no caller authentication (Apollo Router's coprocessor client cannot send a credential) must be
// reachable by the router alone, which a path on the public port can never guarantee. It serves one
// route, so it is a plain node:http handler: no framework between the socket and the check.
import http from 'node:http';
import type { Logger } from 'pino';
import type { CallerDeps } from '../auth/caller';
import { closeServer, listenOn, trackResponses } from '../infra/listener';
import { readJsonBody } from './coprocessor.body';
import { coprocessorCheck } from './coprocessor.check';

export const COPROCESSOR_PATH = '/coprocessor';
/** Requests in flight get this long to finish at shutdown; the router's timeout is usually 1 s. */
const CLOSE_GRACE_MS = 2_000;
/** A request still incomplete after this is answered 408 and its connection closed (Node's default is 5 minutes). */
const REQUEST_TIMEOUT_MS = 10_000;

export interface CoprocessorListener {
  readonly server: http.Server;
  /** Starts listening (COPROCESSOR_PORT and COPROCESSOR_HOST by default). Resolves to the coprocessor's URL. */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

export function createCoprocessorListener(
  settings: { port: number; host: string },
  deps: CallerDeps & { bodyLimitBytes: number; logger: Logger },
): CoprocessorListener {
  const check = coprocessorCheck(deps);
  const serve = async (request: http.IncomingMessage, response: http.ServerResponse) => {
    if (request.method !== 'POST' || pathOf(request.url) !== COPROCESSOR_PATH) {
      return send(response, 404, { error: `only POST ${COPROCESSOR_PATH} is served here` });
    }
    const body = await readJsonBody(request, deps.bodyLimitBytes);
    // Anything we cannot answer is a non-2xx, which the router treats as a failed coprocessor: it fails closed.
    if ('refused' in body) {
      if (body.refused.status === 413) response.setHeader('connection', 'close'); // the rest of the body is not read
      return send(response, body.refused.status, { error: body.refused.error });
    }
    const answer = await check(body.value);
    send(response, answer.status, answer.body);
  };
  const server = trackResponses(
    // Timeouts are checked every second (Node's default is every 30 s, which would let a slow client hold on for 40).
    http.createServer({ connectionsCheckingInterval: 1_000 }, (request, response) => {
      serve(request, response).catch((error: unknown) => {
        deps.logger.error({ err: error }, 'coprocessor: unhandled error');
        if (!response.headersSent && !response.destroyed) send(response, 500, { error: 'internal error' });
      });
    }),
  );
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  return {
    server,
    listen: async (port = settings.port, host = settings.host) => `${await listenOn(server, port, host)}${COPROCESSOR_PATH}`,
    close: () => closeServer(server, CLOSE_GRACE_MS),
  };
}

function send(response: http.ServerResponse, status: number, body: object): void {
  if (response.destroyed) return; // the router gave up on this request: nobody to answer
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
}

function pathOf(url = ''): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

// The coprocessor's own listener (COPROCESSOR_PORT on COPROCESSOR_HOST): a token-validation endpoint
// with no caller authentication (Apollo Router's coprocessor client cannot send a credential) must be
// reachable by the router alone, which a path on the public port can never guarantee.
import http from 'node:http';
import express from 'express';
import type { Logger } from 'pino';
import type { CallerDeps } from '../auth/caller';
import { closeServer, listenOn, trackResponses } from '../infra/listener';
import { COPROCESSOR_PATH, coprocessorRouter } from './coprocessor.router';

/** Requests in flight get this long to finish at shutdown; the router's timeout is usually 1 s. */
const CLOSE_GRACE_MS = 2_000;

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
  const app = express();
  app.disable('x-powered-by');
  app.use(coprocessorRouter(deps));
  app.use((_request, response) => void response.status(404).json({ error: `only POST ${COPROCESSOR_PATH} is served here` }));
  const server = trackResponses(http.createServer(app));
  return {
    server,
    listen: async (port = settings.port, host = settings.host) => `${await listenOn(server, port, host)}${COPROCESSOR_PATH}`,
    close: () => closeServer(server, CLOSE_GRACE_MS),
  };
}

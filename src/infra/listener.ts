// Starting and stopping an http.Server as promises, for the public listener and the coprocessor's.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Resolves to the base URL (`http://host:port`); port 0 picks a free port. */
export function listenOn(server: http.Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      resolve(`http://${shownHost}:${address.port}`);
    });
  });
}

/**
 * Stops accepting connections, lets requests in flight finish (their responses say Connection: close)
 * and closes idle keep-alive connections (a router keeps them open); after `graceMs` the ones still
 * open are cut. Call `trackResponses` on the server first, so in-flight responses can be told to close.
 */
export function closeServer(server: http.Server, graceMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs).unref();
    server.close((error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    });
    for (const response of inFlight.get(server) ?? []) if (!response.headersSent) response.setHeader('connection', 'close');
    server.closeIdleConnections();
  });
}

const inFlight = new WeakMap<http.Server, Set<http.ServerResponse>>();

/** Remembers the responses not yet finished, for closeServer. */
export function trackResponses(server: http.Server): http.Server {
  const responses = new Set<http.ServerResponse>();
  inFlight.set(server, responses);
  server.on('request', (_request, response: http.ServerResponse) => {
    responses.add(response);
    response.once('close', () => responses.delete(response));
  });
  return server;
}

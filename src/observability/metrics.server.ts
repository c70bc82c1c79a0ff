// The metrics listener (METRICS_PORT on METRICS_HOST): GET /metrics in Prometheus's text format, on a
// port of its own, never the public one (they tell anyone how busy and how failing the service is).
import http from 'node:http';
import { closeServer, listenOn, trackResponses } from '../infra/listener';
import type { Metrics } from './metrics';

export interface MetricsListener {
  readonly server: http.Server;
  /** Resolves to the metrics URL. */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

export function createMetricsListener(settings: { port: number; host: string }, metrics: Metrics): MetricsListener {
  const server = trackResponses(
    http.createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
        return;
      }
      metrics.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n'),
      );
    }),
  );
  return {
    server,
    listen: async (port = settings.port, host = settings.host) => `${await listenOn(server, port, host)}/metrics`,
    close: () => closeServer(server, 1_000),
  };
}

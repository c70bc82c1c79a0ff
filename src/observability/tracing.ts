// OpenTelemetry tracing (SPEC §13), started by main.ts's first import, before any module it traces is
// loaded. On only when OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set; the standard OTEL_*
// variables configure the rest (protocol, headers, service name, sampler). Off, nothing is loaded.
import dotenv from 'dotenv';
import type * as Sdk from '@opentelemetry/sdk-node';
import type * as Http from '@opentelemetry/instrumentation-http';
import type * as Express from '@opentelemetry/instrumentation-express';
import type * as GraphQL from '@opentelemetry/instrumentation-graphql';
import type * as IORedis from '@opentelemetry/instrumentation-ioredis';
import type * as Pg from '@opentelemetry/instrumentation-pg';

dotenv.config({ quiet: true }); // so that OTEL_* in .env count, as every other variable does

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();

/** Only what tells a request apart: a query string may carry anything a client put there. */
const QUERY_ATTRIBUTES = ['http.target', 'http.url', 'url.query', 'url.full'];

let sdk: Sdk.NodeSDK | undefined;
let stopped: Promise<void> | undefined;

if (endpoint) startTracing();

/**
 * Ends tracing once the last spans are exported (the batch processor otherwise waits up to
 * OTEL_BSP_SCHEDULE_DELAY): main.ts awaits it at shutdown, after the app closed. Nothing with tracing off.
 */
export function stopTracing(): Promise<void> {
  stopped ??= sdk ? sdk.shutdown().catch(() => undefined) : Promise.resolve();
  return stopped;
}

function startTracing(): void {
  // Loaded here, synchronously: instrumentations must hook modules before main.ts requires them, and
  // with tracing off the SDK is never loaded at all.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof Sdk;
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof Http;
  const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express') as typeof Express;
  const { GraphQLInstrumentation } = require('@opentelemetry/instrumentation-graphql') as typeof GraphQL;
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof IORedis;
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof Pg;
  /* eslint-enable @typescript-eslint/no-require-imports */
  process.env.OTEL_SERVICE_NAME ||= 'portcullis';
  // Traces only: metrics are Prometheus's (METRICS_PORT), logs go to stdout with the trace id in them.
  process.env.OTEL_METRICS_EXPORTER ||= 'none';
  process.env.OTEL_LOGS_EXPORTER ||= 'none';
  sdk = new NodeSDK({
    instrumentations: [
      new HttpInstrumentation({
        requestHook: (span, request) => {
          const url = (request as { url?: unknown }).url; // an incoming request's; outgoing ones have none
          if (typeof url !== 'string' || !url.includes('?')) return;
          for (const name of QUERY_ATTRIBUTES) span.setAttribute(name, '[redacted]');
          span.setAttribute('http.target', url.split('?')[0] ?? '');
        },
      }),
      new ExpressInstrumentation(),
      // No variable values, and literals in the document replaced by "*" (allowValues false).
      new GraphQLInstrumentation({ allowValues: false, mergeItems: true, ignoreTrivialResolveSpans: true }),
      new IORedisInstrumentation(),
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
    ],
  });
  sdk.start();
  // Signals are main.ts's: it closes the app first, then calls stopTracing.
  process.once('beforeExit', () => void stopTracing());
}

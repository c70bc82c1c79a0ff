import { pino, type Logger } from 'pino';
import type { Config } from '../config/config';
import { currentTraceId } from '../observability/trace-context';

export function createLogger(config: Pick<Config, 'logLevel' | 'env'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'portcullis' },
    // With tracing on, every line carries the trace it was written in.
    mixin: () => {
      const traceId = currentTraceId();
      return traceId ? { traceId } : {};
    },
    // Tokens, cookies and passwords never reach the logs, whatever a caller passes in.
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.accessToken', '*.refreshToken', 'password'],
      censor: '[redacted]',
    },
  });
}

// The active trace's id, for log lines (empty when tracing is off: the API's no-op costs next to nothing).
import { trace } from '@opentelemetry/api';

export function currentTraceId(): string | undefined {
  const context = trace.getActiveSpan()?.spanContext();
  return context && trace.isSpanContextValid(context) ? context.traceId : undefined;
}

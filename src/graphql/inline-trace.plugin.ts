// Federation's inline traces (ftv1): a router asks a subgraph for an operation's trace with the
// apollo-federation-include-trace header. In a subgraph Apollo Server installs its own inline-trace
// plugin, which builds a trace tree on every request before it reads that header; this one hands
// only the requests that ask to that plugin, so the others allocate nothing for tracing.
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTrace } from '@apollo/server/plugin/inlineTrace';

const HEADER = 'apollo-federation-include-trace';

export function inlineTraceWhenAsked<TContext extends object>(): ApolloServerPlugin<TContext> {
  const traces = ApolloServerPluginInlineTrace() as ApolloServerPlugin<TContext>;
  return {
    // Its internal id, copied with it, tells Apollo Server not to install a second one.
    ...traces,
    async requestDidStart(request) {
      if (request.request.http?.headers.get(HEADER) !== 'ftv1') return;
      return traces.requestDidStart?.(request);
    },
  };
}

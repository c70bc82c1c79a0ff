// Names the GraphQL operation and the viewer in the request's log line (see request-log.ts).
import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../context';

export function requestLogPlugin(): ApolloServerPlugin<Context> {
  return {
    // No listener at all when the request has no log line (the logger's level is above info).
    async requestDidStart({ contextValue }) {
      const entry = contextValue.requestLog;
      if (!entry) return;
      return {
        async willSendResponse({ operation, operationName, contextValue }) {
          // The operation's name as the client gave it; type first, so a log search by type works.
          entry.operation = operation ? `${operation.operation} ${operation.name?.value ?? operationName ?? '(anonymous)'}`.slice(0, 100) : 'invalid';
          entry.viewerId = contextValue.viewer?.userId ?? contextValue.signedInUserId;
        },
      };
    },
  };
}

// RATE_LIMITED answers HTTP 429 with Retry-After (SPEC §5) when it is the response's only kind of
// error; mixed with other errors the status stays what those errors make it.
import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import { ErrorCode } from '../errors';

// Nothing in it is per request: every request shares the one listener.
const listener: GraphQLRequestListener<BaseContext> = {
  async willSendResponse({ response }) {
    if (response.body.kind !== 'single') return;
    const errors = response.body.singleResult.errors ?? [];
    if (errors.length === 0 || errors.some((error) => error.extensions?.code !== ErrorCode.RATE_LIMITED)) return;
    const seconds = Math.max(...errors.map((error) => Number(error.extensions?.retryAfter) || 1));
    response.http.status = 429;
    response.http.headers.set('retry-after', String(seconds));
  },
};

export function retryAfterPlugin(): ApolloServerPlugin {
  return { requestDidStart: async () => listener };
}

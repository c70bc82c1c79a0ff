// What every GraphQL response goes through, in one listener that all requests share (Apollo Server
// spends a few promises per listener at every stage of every request, so one plugin with no
// per-request state is the cheap shape):
// - RATE_LIMITED answers HTTP 429 with Retry-After (SPEC §5) when it is the response's only kind of
//   error; mixed with other errors the status stays what those errors make it.
// - Where introspection is off, "Did you mean …" suggestions are masked in every error (SPEC §8), as
//   graphql-armor's block-field-suggestion plugin does, with the same mask.
import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import { ErrorCode } from '../errors';

const SUGGESTION = /Did you mean ".+"/g;
const SUGGESTION_MASK = '[Suggestion hidden]';

const setRetryAfter: GraphQLRequestListener<BaseContext>['willSendResponse'] = async ({ response }) => {
  if (response.body.kind !== 'single') return;
  const errors = response.body.singleResult.errors ?? [];
  if (errors.length === 0 || errors.some((error) => error.extensions?.code !== ErrorCode.RATE_LIMITED)) return;
  const seconds = Math.max(...errors.map((error) => Number(error.extensions?.retryAfter) || 1));
  response.http.status = 429;
  response.http.headers.set('retry-after', String(seconds));
};

const hideSuggestions: GraphQLRequestListener<BaseContext>['didEncounterErrors'] = async ({ errors }) => {
  for (const error of errors) error.message = error.message.replace(SUGGESTION, SUGGESTION_MASK);
};

export function responsePolicyPlugin(options: { hideSuggestions: boolean }): ApolloServerPlugin {
  const listener: GraphQLRequestListener<BaseContext> = {
    willSendResponse: setRetryAfter,
    ...(options.hideSuggestions ? { didEncounterErrors: hideSuggestions } : {}),
  };
  return { requestDidStart: async () => listener };
}

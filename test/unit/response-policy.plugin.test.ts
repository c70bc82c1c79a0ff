// responsePolicyPlugin on its own: 429 and Retry-After only when RATE_LIMITED is a response's only kind of
// error, and suggestions masked only when asked.
// (Over HTTP one operation holds at most one credential field, so the mixed case cannot be built there.)
import { HeaderMap } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { responsePolicyPlugin } from '../../src/graphql/response-policy.plugin';

async function send(errors: GraphQLFormattedError[] | undefined, status?: number) {
  const response = { http: { status, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data: null, errors } } };
  const listener = await responsePolicyPlugin({ hideSuggestions: true }).requestDidStart!({} as never);
  await listener!.willSendResponse!({ response } as never);
  return response.http;
}

const limited = (retryAfter: number): GraphQLFormattedError => ({ message: 'Too many attempts', extensions: { code: 'RATE_LIMITED', retryAfter } });

describe('responsePolicyPlugin: Retry-After', () => {
  it('answers 429 with Retry-After when every error is RATE_LIMITED, using the longest wait', async () => {
    const http = await send([limited(3), limited(40)]);

    expect(http.status).toBe(429);
    expect(http.headers.get('retry-after')).toBe('40');
  });

  it('leaves the status alone when another kind of error comes with it', async () => {
    const http = await send([limited(3), { message: 'down', extensions: { code: 'SERVICE_UNAVAILABLE' } }], 503);

    expect(http.status).toBe(503);
    expect(http.headers.has('retry-after')).toBe(false);
  });

  it('leaves a response without errors alone', async () => {
    const http = await send(undefined);

    expect(http.status).toBeUndefined();
    expect(http.headers.has('retry-after')).toBe(false);
  });
});

describe('responsePolicyPlugin: suggestions', () => {
  const suggested = () => [new GraphQLError('Cannot query field "mee" on type "Query". Did you mean "me"?')];

  it('masks "Did you mean" in every error when asked, as graphql-armor did', async () => {
    const errors = suggested();
    const listener = await responsePolicyPlugin({ hideSuggestions: true }).requestDidStart!({} as never);
    await listener!.didEncounterErrors!({ errors } as never);

    expect(errors[0]!.message).toBe('Cannot query field "mee" on type "Query". [Suggestion hidden]?');
  });

  it('leaves suggestions alone when not asked (introspection on), and every request shares one listener', async () => {
    const plugin = responsePolicyPlugin({ hideSuggestions: false });
    const listener = await plugin.requestDidStart!({} as never);

    expect(listener).not.toHaveProperty('didEncounterErrors');
    expect(await plugin.requestDidStart!({} as never)).toBe(listener);
  });
});

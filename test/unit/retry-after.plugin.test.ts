// retryAfterPlugin on its own: 429 and Retry-After only when RATE_LIMITED is a response's only kind of error.
// (Over HTTP one operation holds at most one credential field, so the mixed case cannot be built there.)
import { HeaderMap } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { retryAfterPlugin } from '../../src/graphql/retry-after.plugin';

async function send(errors: GraphQLFormattedError[] | undefined, status?: number) {
  const response = { http: { status, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data: null, errors } } };
  const listener = await retryAfterPlugin().requestDidStart!({} as never);
  await listener!.willSendResponse!({ response } as never);
  return response.http;
}

const limited = (retryAfter: number): GraphQLFormattedError => ({ message: 'Too many attempts', extensions: { code: 'RATE_LIMITED', retryAfter } });

describe('retryAfterPlugin', () => {
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

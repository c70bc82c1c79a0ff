// Variants C and C0: what Apollo Router 2 posts to the coprocessor for every client request
// (RouterRequest stage, `headers: true, context: all`), one body per request with the Bearer token
// of the next bench session, so that every check verifies a different token and reads its session.
import type { BenchSession } from './seed';
import { USER_AGENT } from './seed';
import type { Shape } from './load';

/** A browser's request as the router forwards its headers (values are arrays, names as received). */
function routerRequest(id: number, accessToken: string): string {
  return JSON.stringify({
    version: 1,
    stage: 'RouterRequest',
    control: 'continue',
    id: id.toString(16).padStart(32, '0'),
    headers: {
      host: ['api.example.com'],
      'user-agent': [USER_AGENT],
      accept: ['application/graphql-response+json, application/json'],
      'accept-encoding': ['gzip, deflate, br'],
      'accept-language': ['en-GB,en;q=0.9'],
      'content-type': ['application/json'],
      'content-length': ['118'],
      origin: ['https://app.example.com'],
      referer: ['https://app.example.com/account'],
      'apollographql-client-name': ['web'],
      'apollographql-client-version': ['1.42.0'],
      traceparent: ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
      authorization: [`Bearer ${accessToken}`],
    },
    context: {
      entries: {
        'accepts-json': true,
        'accepts-wildcard': false,
        'accepts-multipart': false,
        'apollo::telemetry::client_name': 'web',
        'apollo::telemetry::client_version': '1.42.0',
      },
    },
    method: 'POST',
    path: '/graphql',
  });
}

/** C and C0 send the same bodies; an answer that does not continue the request counts as a failure. */
export function coprocessorShape(sessions: readonly BenchSession[]): Shape {
  const bodies = sessions.map((session, index) => routerRequest(index + 1, session.accessToken));
  let next = 0;
  return {
    setup: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
    failed: (body) => !body.includes('"control":"continue"'),
  };
}

/** The preflight: one check through the product's coprocessor, which must name the token's holder. */
export async function checkCoprocessor(url: string, session: BenchSession): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: routerRequest(1, session.accessToken) });
  const answer = (await response.json()) as { control?: unknown; context?: { entries?: Record<string, { sub?: string }> } };
  const claims = answer.context?.entries?.['apollo::authentication::jwt_claims'];
  if (response.status !== 200 || answer.control !== 'continue' || claims?.sub !== session.userId) {
    throw new Error(`preflight failed: the coprocessor answered ${response.status} ${JSON.stringify(answer)}`);
  }
}

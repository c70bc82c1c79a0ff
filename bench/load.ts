// Load generation with autocannon, in the benchmark's own process (the server is a child process).
import autocannon from 'autocannon';
import type { BenchSession, BenchUser } from './seed';
import { BENCH_PASSWORD } from './seed';

export interface Measurement {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx answers, socket errors, time-outs and GraphQL errors: a run with any is not a valid figure. */
  failures: number;
  /** The server process's CPU time per request, in µs: unlike req/s, barely moved by other load on the machine. */
  cpuMicros?: number;
}

type Request = { method?: string; path?: string; headers?: Record<string, string>; body?: string };
export type Shape = {
  /** Builds each request of a connection; `context` is per connection (autocannon keeps it). */
  setup: (request: Request, context: Record<string, unknown>) => Request;
  onResponse?: (body: string, context: Record<string, unknown>) => void;
  /** Whether a 200 answer is a failure; by default, one with GraphQL errors. */
  failed?: (body: string) => boolean;
};

const ME = JSON.stringify({ query: '{ me { id email name role } }' });
const TYPENAME = JSON.stringify({ query: '{ __typename }' });
const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken expiresIn } }';
const REFRESH = 'mutation ($token: String) { refresh(refreshToken: $token) { accessToken refreshToken } }';

const cycle = <T>(items: readonly T[]) => {
  let next = 0;
  return () => items[next++ % items.length]!;
};

export const shapes = {
  anonymous: (): Shape => ({ setup: (request) => ({ ...request, body: TYPENAME }) }),
  meBearer: (sessions: readonly BenchSession[]): Shape => {
    const pick = cycle(sessions);
    return { setup: (request) => ({ ...request, body: ME, headers: { ...request.headers, authorization: `Bearer ${pick().accessToken}` } }) };
  },
  meCookie: (sessions: readonly BenchSession[]): Shape => {
    const pick = cycle(sessions);
    return { setup: (request) => ({ ...request, body: ME, headers: { ...request.headers, cookie: `access_token=${pick().accessToken}; logged_in=true` } }) };
  },
  /** A peer's `me` with the Cookie header its sign-in set (better-auth is cookie-based). */
  meCookieHeader: (sessions: readonly { cookie: string }[]): Shape => {
    const pick = cycle(sessions);
    return { setup: (request) => ({ ...request, body: ME, headers: { ...request.headers, cookie: pick().cookie } }) };
  },
  login: (users: readonly BenchUser[]): Shape => {
    const pick = cycle(users);
    return {
      setup: (request) => ({ ...request, body: JSON.stringify({ query: LOGIN, variables: { input: { email: pick().email, password: BENCH_PASSWORD } } }) }),
    };
  },
  /**
   * Refresh rotation. A chain is a session whose latest refresh token is always the one presented
   * next; `idle` persists across runs. A request takes an idle chain and gives it back with the rotated token when its answer
   * arrives, so no chain is ever presented twice at once (that would be reuse, and revoke it).
   * (autocannon resets its per-connection context between requests, so chains cannot live there.)
   */
  refresh: (idle: Array<{ token: string }>): Shape => {
    return {
      setup: (request, context) => {
        const chain = idle.shift();
        context.chain = chain;
        return { ...request, body: JSON.stringify({ query: REFRESH, variables: { token: chain?.token } }) };
      },
      onResponse: (body, context) => {
        const chain = context.chain as { token: string } | undefined;
        const next = (JSON.parse(body) as { data?: { refresh?: { refreshToken?: string } } }).data?.refresh?.refreshToken;
        if (!chain || !next) return; // a broken chain is dropped (and counted as a failure)
        chain.token = next;
        idle.push(chain);
      },
    };
  },
};

export async function measure(url: string, shape: Shape, options: { seconds: number; connections: number }): Promise<Measurement> {
  let graphqlErrors = 0;
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: shape.setup as never,
        onResponse: (status: number, body: string, context: object) => {
          if (status === 200 && (shape.failed ? shape.failed(body) : body.includes('"errors"'))) graphqlErrors += 1;
          shape.onResponse?.(body, context as Record<string, unknown>);
        },
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.total / (result.duration || options.seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts + graphqlErrors,
  };
}

// The check behind POST /coprocessor: revocation at the edge for Apollo Router (external coprocessing,
// RouterRequest stage). Verifies the Bearer token or access cookie and checks its session in Redis,
// then either continues with the verified claims in the router's context or ends the request with 401.
import { parse as parseCookies } from 'cookie';
import type { Logger } from 'pino';
import { identifyCaller, type Caller, type CallerDeps } from '../auth/caller';
import { accessTokenFrom } from '../auth/cookies';
import { isIdentityHeader } from '../auth/identity-headers';
import { CLIENT_SUBJECT_PREFIX } from '../auth/tokens';
import { ErrorCode, ServiceUnavailableError } from '../errors';
import {
  breakWith,
  continueWith,
  JWT_CLAIMS_KEY,
  PROTOCOL_VERSION,
  readCoprocessorRequest,
  ROUTER_REQUEST,
  type VerifiedClaims,
} from './coprocessor.protocol';

/** What the listener sends back: any status but 200 makes the router fail the client request closed. */
export interface CheckAnswer {
  status: number;
  body: object;
}

const NO_COOKIES = {};

export function coprocessorCheck(deps: CallerDeps & { logger: Logger }): (body: unknown) => Promise<CheckAnswer> {
  return async (body) => {
    const read = readCoprocessorRequest(body);
    if ('problem' in read) return { status: 400, body: { error: 'not a coprocessor request', issues: [read.problem] } };
    const call = read.request;
    if (call.version !== PROTOCOL_VERSION) return { status: 400, body: { error: `unsupported coprocessor protocol version ${call.version} (this service speaks ${PROTOCOL_VERSION})` } };
    if (call.stage !== ROUTER_REQUEST) return { status: 400, body: { error: `stage ${call.stage} is not handled: configure coprocessor.router.request only` } };
    if (call.id === undefined) return { status: 400, body: { error: 'a RouterRequest needs its id' } };

    const { authorization, authorizations, cookie, hasIdentityHeaders } = readHeaders(call.headers);
    if (authorizations > 1) {
      // Which one would a subgraph read? Several credentials are refused, never one checked and the others forwarded.
      return { status: 200, body: breakWith(call, 401, { message: 'More than one Authorization header', code: ErrorCode.UNAUTHENTICATED }) };
    }
    // The cookie header is parsed only when there is no Bearer token to take first.
    const token = accessTokenFrom({ authorization }, NO_COOKIES) ?? (cookie ? accessTokenFrom({}, parseCookies(cookie)) : undefined);
    let caller;
    try {
      caller = await identifyCaller(deps, token);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableError)) throw error;
      return { status: 200, body: breakWith(call, 503, { message: ServiceUnavailableError.MESSAGE, code: ErrorCode.SERVICE_UNAVAILABLE }) };
    }
    const { [JWT_CLAIMS_KEY]: _untrusted, ...entries } = call.context?.entries ?? {};
    if (caller.kind !== 'anonymous') {
      entries[JWT_CLAIMS_KEY] = verifiedClaims(caller);
    } else if (token && authorization !== undefined) {
      // A Bearer token that fails is a claim of identity we refuse (RFC 6750 §3.1); a stale cookie only makes the
      // request anonymous, so that login and refresh still work through the router (SPEC §5).
      deps.logger.debug({ reason: caller.reason }, 'coprocessor: token refused');
      return { status: 200, body: breakWith(call, 401, { message: 'Invalid, expired or revoked token', code: ErrorCode.UNAUTHENTICATED }) };
    }
    const headers = call.headers && (hasIdentityHeaders ? withoutIdentityHeaders(call.headers) : call.headers);
    return { status: 200, body: continueWith(call, { headers, entries }) };
  };
}

/** One pass over the headers, whatever their names' case: the two credentials, and whether any must be stripped. */
function readHeaders(headers: Record<string, string[]> = {}) {
  let authorization: string | undefined;
  let authorizations = 0;
  let cookies: string[] | undefined;
  let hasIdentityHeaders = false;
  for (const name in headers) {
    const lower = name.toLowerCase();
    if (lower === 'authorization') {
      authorization ??= headers[name]![0];
      authorizations += headers[name]!.length;
    }
    else if (lower === 'cookie') (cookies ??= []).push(...headers[name]!);
    else if (isIdentityHeader(name)) hasIdentityHeaders = true;
  }
  return { authorization, authorizations, cookie: cookies?.join('; '), hasIdentityHeaders };
}

/** A user's claims name their session; a machine client's (`sub` client:<id>) have none. */
function verifiedClaims(caller: Exclude<Caller, { kind: 'anonymous' }>): VerifiedClaims {
  const { sub, sid, scopes } =
    caller.kind === 'user'
      ? { sub: caller.viewer.userId, sid: caller.viewer.sessionId, scopes: caller.viewer.scopes }
      : { sub: `${CLIENT_SUBJECT_PREFIX}${caller.client.clientId}`, sid: undefined, scopes: caller.client.scopes };
  return { sub, ...(sid ? { sid } : {}), ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}) };
}

/** Identity headers the client sent never reach the subgraphs. */
function withoutIdentityHeaders(headers: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !isIdentityHeader(name)));
}

// Apollo Router's external coprocessing protocol, version 1, as documented in
// https://www.apollographql.com/docs/graphos/routing/customization/coprocessor/reference
// ("Example requests by stage" → RouterRequest; "Terminating a client request").

export const PROTOCOL_VERSION = 1;
export const ROUTER_REQUEST = 'RouterRequest';
/** The context key Apollo Router's @authenticated and @requiresScopes read their claims from. */
export const JWT_CLAIMS_KEY = 'apollo::authentication::jwt_claims';

/** A coprocessor request at any stage; unknown data properties are kept and ignored. */
export interface CoprocessorRequest {
  version: number;
  stage: string;
  control?: unknown;
  /** Absent at some stages (the documented SupergraphRequest example has none); required at RouterRequest. */
  id?: string;
  /** Header values arrive as arrays of strings ({ "cookie": ["a=b"] }). */
  headers?: Record<string, string[]>;
  context?: { entries: Record<string, unknown>; [property: string]: unknown };
  [property: string]: unknown;
}

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks the parts of a parsed body this service reads or echoes, and nothing else (the router keeps
 * what we leave out of the answer): the problem found first, or the request.
 */
export function readCoprocessorRequest(value: unknown): { request: CoprocessorRequest } | { problem: string } {
  if (!isObject(value)) return { problem: 'body: expected a JSON object' };
  if (typeof value.version !== 'number') return { problem: 'version: expected a number' };
  if (typeof value.stage !== 'string') return { problem: 'stage: expected a string' };
  if (value.id !== undefined && (typeof value.id !== 'string' || value.id === '')) return { problem: 'id: expected a non-empty string' };
  if (value.headers !== undefined) {
    if (!isObject(value.headers)) return { problem: 'headers: expected an object' };
    for (const name in value.headers) {
      const values = value.headers[name];
      if (!Array.isArray(values) || !values.every((item) => typeof item === 'string')) return { problem: `headers.${name}: expected an array of strings` };
    }
  }
  if (value.context !== undefined && !(isObject(value.context) && isObject(value.context.entries))) {
    return { problem: 'context.entries: expected an object' };
  }
  return { request: value as CoprocessorRequest };
}

export interface VerifiedClaims {
  /** The user's id, or client:<id> for a machine client. */
  sub: string;
  /** The user's session; machine clients have none. */
  sid?: string;
  scope?: string;
}

/** The request echoed back with control "continue": the router keeps what we leave out. */
export function continueWith(request: CoprocessorRequest, changes: { headers?: Record<string, string[]>; entries: Record<string, unknown> }) {
  return {
    version: request.version,
    stage: request.stage,
    control: 'continue' as const,
    id: request.id,
    ...(changes.headers ? { headers: changes.headers } : {}),
    context: { ...request.context, entries: changes.entries },
  };
}

/** Ends the client request: the router answers `status` with `body` (a JSON string at the Router stages). */
export function breakWith(request: CoprocessorRequest, status: number, error: { message: string; code: string }) {
  return {
    version: request.version,
    stage: request.stage,
    control: { break: status },
    id: request.id,
    body: JSON.stringify({ errors: [{ message: error.message, extensions: { code: error.code } }] }),
  };
}
